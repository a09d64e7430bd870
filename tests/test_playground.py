"""The playground's server: every endpoint and message, bad input refused without harm, sessions apart."""

import contextlib
import io
import json
import math
import re
import time

import numpy as np
import pytest
import yaml
from starlette.testclient import TestClient

from mlplab.cli.train import given_options
from mlplab.persistence import load
from mlplab.playground import Session, SetupError, check_setup, create_app, export
from mlplab.playground import server as playground_server
from mlplab.recipe import FLAG, Config

QUICK = {"dataset": "xor", "points": 200, "hidden": [8, 8], "epochs": 40}


@pytest.fixture
def client():
    with TestClient(create_app()) as c:
        yield c


def receive(ws, kind):
    """Messages until one of type ``kind`` (states in between are skipped)."""
    for _ in range(1000):
        message = ws.receive_json()
        if message["type"] == kind:
            return message
        if message["type"] == "error" and kind != "error":
            raise AssertionError(message["message"])
    raise AssertionError(f"no {kind} message")


def state_until(ws, condition):
    for _ in range(10000):
        message = ws.receive_json()
        if message["type"] == "state" and condition(message):
            return message
    raise AssertionError("condition never met")


def test_the_page_its_files_and_its_options(client):
    page = client.get("/")
    assert page.status_code == 200 and "mlplab playground" in page.text and "/static/app.js" in page.text
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    options = client.get("/api/options").json()
    assert options["datasets"] == ["xor", "circles", "moons", "spirals", "blobs", "digits"]
    assert {"sgd", "adam", "rmsprop"} <= set(options["optimizers"]) and "tanh" in options["activations"]
    assert check_setup(options["defaults"]).dataset == "xor"


def test_export_gives_the_train_config_and_command(client):
    answer = client.post("/api/export", json={**QUICK, "optimizer": "adam", "lr": 0.01})
    assert answer.status_code == 200
    exported = answer.json()
    assert exported["command"].startswith("mlplab train --dataset xor --points 200")
    assert "--hidden 8 8" in exported["command"] and "--optimizer adam --lr 0.01" in exported["command"]
    config = Config.from_mapping(yaml.safe_load(exported["config"]))
    assert (
        config.hidden == (8, 8)
        and config.patience == 0
        and config == check_setup({**QUICK, "optimizer": "adam", "lr": 0.01})
    )


@pytest.mark.parametrize(
    "body, message",
    [
        ({"lr": -1}, r"^lr: -1 is not allowed \(must be > 0\)$"),
        ({"lr": 20}, r"^lr: 20 is not allowed \(must be in \(0, 10\]\)$"),
        ({"hidden": [8, -2]}, r"^hidden: \[8, -2\] is not allowed \(must be a list of layer sizes >= 1\)$"),
        (
            {"hidden": [100000]},
            r"^hidden: \[100000\] is not allowed \(must be a list of layer sizes in \[1, 256\], at most 6",
        ),
        ({"hidden": [8] * 7}, "has too many layers"),
        ({"hidden": [256] * 6, "dataset": "digits"}, "too large"),
        ({"optimizer": "lbfgs"}, "^optimizer: 'lbfgs' is not a known name .one of adadelta"),
        ({"points": 10}, r"^points: 10 is not allowed \(must be a whole number in \[20, 2000\]\)$"),
        ({"noise": "lots"}, "^noise: 'lots' is not a number"),
        ({"batch_size": 2.5}, "^batch_size: 2.5 is not a whole number"),
        ({"momentum": 0.9}, "^momentum: unknown option"),
        ({"dataset": "cifar"}, "^dataset: 'cifar' is not a valid choice"),
        ({"epochs": 10**400}, "^epochs: an integer of 1329 bits is not a finite number"),
    ],
)
def test_bad_setups_are_refused_with_the_reason(client, body, message):
    answer = client.post("/api/export", json=body)
    assert answer.status_code == 400
    assert re.search(message, answer.json()["error"])


def test_a_nan_rate_and_a_non_json_body_are_refused(client):
    with pytest.raises(SetupError, match="lr: nan is not a finite number"):
        check_setup({"lr": math.nan})
    answer = client.post("/api/export", content=b"{not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]


def test_a_session_over_the_websocket(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "step"})
        assert "send a setup first" in receive(ws, "error")["message"]
        ws.send_json({"type": "setup", "config": QUICK})
        ready = receive(ws, "ready")
        points = ready["points"]
        assert (
            (len(points["train"]), len(points["test"])) == (140, 60) and points["classes"] == 2 and points["boundary"]
        )
        first = receive(ws, "state")
        assert first["epoch"] == 0 and first["status"] == "ready" and len(first["boundary"]["cls"]) == 64 * 64
        ws.send_json({"type": "step"})
        stepped = receive(ws, "state")
        assert stepped["epoch"] == 1 and stepped["status"] == "paused" and len(stepped["history"]["loss"]) == 1
        assert len(stepped["grad_norms"][0]) == 3 and [layer["name"] for layer in stepped["layers"]] == ["Tanh", "Tanh"]
        ws.send_json({"type": "lr", "value": 0.05})
        changed = receive(ws, "lr")
        assert changed["value"] == 0.05 and "--lr 0.05" in changed["export"]["command"]
        ws.send_json({"type": "start"})
        done = state_until(ws, lambda m: m["status"] == "done")
        assert done["epoch"] == 40 and done["lr"] == 0.05
        ws.send_json({"type": "reset"})
        receive(ws, "ready")
        assert receive(ws, "state")["epoch"] == 0


@pytest.mark.parametrize(
    "message, answer",
    [
        ("not json", "not JSON"),
        (json.dumps({"type": "fly"}), "unknown message type 'fly'"),
        (json.dumps([1, 2]), "unknown message type"),
        (json.dumps({"type": "lr", "value": -1}), r"lr: -1 is not allowed \(must be > 0\)"),
        (json.dumps({"type": "lr", "value": "0.1"}), "lr: '0.1' is not a number"),
        (
            json.dumps({"type": "setup", "config": {"hidden": [0]}}),
            r"hidden: \[0\] is not allowed \(must be a list of layer sizes",
        ),
    ],
)
def test_bad_messages_get_an_error_and_the_session_goes_on(client, message, answer):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": QUICK})
        receive(ws, "ready")
        receive(ws, "state")
        ws.send_text(message)
        assert re.search(answer, receive(ws, "error")["message"])
        ws.send_json({"type": "step"})
        assert receive(ws, "state")["epoch"] == 1


@pytest.mark.parametrize("batch_size", [1, 0])  # a NaN within an epoch, or only in the weights it ends with
def test_a_diverging_run_says_so_and_stops(client, batch_size):
    config = {
        "dataset": "blobs",
        "points": 100,
        "hidden": [64, 64],
        "activation": "relu",
        "init": "standard_normal",
        "optimizer": "sgd",
        "lr": 10.0,
        "batch_size": batch_size,
        "epochs": 50,
    }
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": config})
        receive(ws, "ready")
        ws.send_json({"type": "start"})
        final = state_until(ws, lambda m: m["status"] in ("diverged", "done", "stopped"))
        assert final["status"] == "diverged" and "diverged" in final["message"] and final["epoch"] < 50
        ws.send_json({"type": "step"})  # stays diverged, and still answers
        assert receive(ws, "state")["status"] == "diverged"
        ws.send_json({"type": "start"})
        assert receive(ws, "state")["status"] == "diverged"


def test_start_on_a_finished_run_goes_on_for_as_many_epochs_again(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": {**QUICK, "epochs": 3}})
        receive(ws, "ready")
        ws.send_json({"type": "start"})
        state_until(ws, lambda m: m["status"] == "done")
        ws.send_json({"type": "start"})
        continued = receive(ws, "continued")
        assert continued["setup"]["epochs"] == 6 and "--epochs 6" in continued["export"]["command"]
        done = state_until(ws, lambda m: m["status"] == "done")
        assert done["epoch"] == 6


def test_a_continued_run_is_the_run_of_all_its_epochs(tmp_path):
    """Three epochs, done, three more: the weights of six epochs in one go (what the export says to run)."""
    setup = {**QUICK, "epochs": 3}
    continued, straight = Session(check_setup(setup)), Session(check_setup({**setup, "epochs": 6}))
    for _ in range(3):
        continued.epoch()
    assert continued.status == "done" and continued.extend(most=5000)
    for _ in range(3):
        continued.epoch()
        straight.epoch()
    for _ in range(3):
        straight.epoch()
    assert continued.status == straight.status == "done" and continued.config == straight.config
    for a, b in zip(continued.model.parameters(), straight.model.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_a_run_goes_on_with_its_last_rate_and_stops_at_the_most_epochs():
    session = Session(check_setup({**QUICK, "epochs": 4, "schedule": "exponential", "lr": 0.5}))
    for _ in range(4):
        session.epoch()
    ended_at = session.trainer.optimizer.lr
    assert ended_at < 0.5 and session.extend(most=6)
    assert session.config.epochs == 6 and session.config.schedule is None and session.config.lr == ended_at
    session.epoch()
    session.epoch()
    assert session.trainer.optimizer.lr == ended_at and session.status == "done"
    assert not session.extend(most=6)  # at the most epochs
    diverged = Session(check_setup({**QUICK, "epochs": 2}))
    diverged.status = "diverged"
    assert not diverged.extend(most=5000)


def test_hostile_frames_get_an_error_and_the_session_goes_on(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": QUICK})
        receive(ws, "ready")
        receive(ws, "state")
        for frame in (
            '{"type": "lr", "value": ' + "9" * 400 + "}",
            "[" * 100_000,
            '{"type": "setup", "config": {"noise": NaN}}',
            '{"type": "setup", "config": {"patience": 5}}',
            "1" * 5000,
        ):
            ws.send_text(frame)
            assert receive(ws, "error")["message"]
        ws.send_bytes(b"\x00\x01")
        assert "binary" in receive(ws, "error")["message"]
        ws.send_json({"type": "step"})
        assert receive(ws, "state")["epoch"] == 1


def test_another_website_may_not_drive_the_server(client):
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_json()
    with client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:  # its own page
        ws.send_json({"type": "setup", "config": QUICK})
        assert receive(ws, "ready")["type"] == "ready"


def test_tabs_train_apart_and_a_closed_tab_stops(client):
    with client.websocket_connect("/ws") as quiet:
        quiet.send_json({"type": "setup", "config": QUICK})
        receive(quiet, "ready")
        assert receive(quiet, "state")["epoch"] == 0
        with client.websocket_connect("/ws") as busy:
            busy.send_json({"type": "setup", "config": {**QUICK, "epochs": 5000}})
            receive(busy, "ready")
            busy.send_json({"type": "start"})
            state_until(busy, lambda m: m["epoch"] > 3)
            assert len(playground_server.OPEN) == 2
            trainer = next(c for c in playground_server.OPEN if c.session.config.epochs == 5000).session.trainer
        deadline = time.monotonic() + 10
        while len(playground_server.OPEN) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(playground_server.OPEN) == 1
        time.sleep(0.3)
        stopped_at = trainer.epoch
        time.sleep(0.5)
        assert trainer.epoch == stopped_at < 5000  # the closed tab's training is over
        quiet.send_json({"type": "step"})
        assert receive(quiet, "state")["epoch"] == 1  # the other tab was never touched


@pytest.mark.parametrize(
    "setup",
    [
        {**QUICK, "epochs": 15, "optimizer": "adam", "lr": 0.0123456789},
        {"dataset": "blobs", "points": 100, "hidden": [], "batch_size": 0, "epochs": 15},
    ],
)
def test_the_exported_command_and_config_repeat_the_run(tmp_path, setup):
    import shlex

    from mlplab.cli import main

    config = check_setup(setup)
    session = Session(config)
    for _ in range(15):
        session.epoch()
    exported = export(config)
    (tmp_path / "playground.yaml").write_text(exported["config"])
    runs = [shlex.split(exported["command"])[1:], ["train", "--config", str(tmp_path / "playground.yaml")]]
    for k, argv in enumerate(runs):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main([*argv, "--out", str(tmp_path), "--name", f"run{k}", "--quiet", "--json"]) == 0
        again = load(tmp_path / f"run{k}" / "last.npz")
        for ours, theirs in zip(session.model.parameters(), again.parameters()):
            np.testing.assert_array_equal(ours.value, theirs.value)
        # the run scores the model the page showed last, not an epoch chosen on the training data
        results = json.loads(printed.getvalue())
        assert results["tested_model"] == "last epoch (no validation set held out)"
        assert results["test_accuracy"] == session.history["test_accuracy"][-1]
        assert results["test_loss"] == pytest.approx(session.history["test_loss"][-1], rel=1e-12)


def test_train_metrics_are_the_whole_training_set_measured_as_test_is():
    """On the same data the page's train and test numbers are equal; dropout shows only in the batches' mean."""
    session = Session(check_setup({**QUICK, "dropout": 0.5, "epochs": 5}))
    session.x_test, session.y_test = session.x, session.y
    for _ in range(3):
        session.epoch()
    history = {key: values[1:] for key, values in session.history.items()}  # epoch 0 was measured on the test set
    assert len(history["loss"]) == 3
    assert history["loss"] == history["test_loss"] and history["accuracy"] == history["test_accuracy"]
    assert all(running != whole for running, whole in zip(history["running_loss"], history["loss"]))
    state = Session(check_setup(QUICK))
    state.epoch()
    assert set(state.state()["history"]) == set(history)


def test_digits_are_drawn_on_two_principal_directions():
    session = Session(check_setup({"dataset": "digits", "hidden": [32], "epochs": 3}))
    session.epoch()
    points = session.points()
    assert points["classes"] == 10 and not points["boundary"] and len(points["train"][0]) == 2
    assert session.state()["boundary"] is None


def test_a_network_without_hidden_layers_shows_its_path_over_the_loss_contour():
    session = Session(
        check_setup({"dataset": "blobs", "hidden": [], "noise": 0.8, "optimizer": "sgd", "lr": 0.1, "epochs": 30})
    )
    for _ in range(20):
        session.epoch()
    contour = session.state()["contour"]
    assert len(contour["path"]) == 21 and len(contour["loss"]) == 41 * 41
    # the grid's lowest loss is the training loss where the path ends (same formula, same points)
    assert min(contour["loss"]) == pytest.approx(session.history["loss"][-1], rel=0.05)
    assert contour["loss"][0] > min(contour["loss"])
    assert Session(check_setup(QUICK)).state()["contour"] is None  # hidden layers: more than two weights


def test_the_exported_command_line_parses_to_the_same_options():
    import shlex

    from mlplab.cli import build_parser

    for setup in ({**QUICK, "clip_norm": 2.5, "batch_norm": True}, {"dataset": "blobs", "hidden": []}):
        config = check_setup(setup)
        args = build_parser().parse_args(shlex.split(export(config)["command"])[1:])
        assert Config().updated(given_options(args), FLAG) == config


def test_the_command_serves_on_localhost_and_prints_its_address():
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mlplab", "playground", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/options", timeout=5) as answer:
                    assert json.loads(answer.read())["defaults"]["dataset"] == "xor"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_each_answer_carries_the_id_of_the_message_it_answers():
    with TestClient(create_app()) as client, client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "lr", "id": 1, "value": 0.5})
        assert ws.receive_json() == {"type": "error", "id": 1, "message": "send a setup first"}
        ws.send_json({"type": "setup", "id": 2, "config": {**QUICK, "lr": 0}})
        assert ws.receive_json() == {"type": "error", "id": 2, "message": "lr: 0 is not allowed (must be > 0)"}
        ws.send_json({"type": "setup", "id": "tab-3", "config": {**QUICK, "hidden": [16, None]}})
        refused = ws.receive_json()
        assert refused["id"] == "tab-3" and refused["message"].startswith("hidden: [16, null] is not allowed")
        ws.send_json({"type": "setup", "id": 4, "config": QUICK})
        assert receive(ws, "ready")["id"] == 4
        ws.send_json({"type": "lr", "id": 5, "value": 0.3})
        assert receive(ws, "lr")["id"] == 5
        ws.send_json({"type": "reset"})  # no id: none in the answer
        assert "id" not in receive(ws, "ready")
        receive(ws, "state")
        for odd in (True, 1.5, [1], {"a": 1}, "x" * 65):  # not an id: answered without one, the connection stays
            ws.send_json({"type": "setup", "id": odd, "config": {"lr": 0}})
            assert "id" not in ws.receive_json()
        ws.send_text('{"type": "setup", "id": NaN, "config": {"lr": 0}}')
        assert ws.receive_json() == {"type": "error", "message": "lr: 0 is not allowed (must be > 0)"}
        ws.send_json({"type": "pause", "id": 6})
        assert receive(ws, "state")["status"] in ("ready", "paused")


def test_every_curve_starts_at_epoch_0_the_untrained_network():
    session = Session(check_setup(QUICK))
    state = session.state()
    assert state["epoch"] == 0 and state["from"] == 0
    history = state["history"]
    assert all(len(values) == 1 for values in history.values())
    assert history["running_loss"] == [None] and state["grad_norms"] == [[None, None, None]]  # no batch yet
    train, test = (
        session.trainer.evaluate(session.x, session.y),
        session.trainer.evaluate(session.x_test, session.y_test),
    )
    assert history["loss"] == [round(train["loss"], 6)] and history["test_accuracy"] == [round(test["accuracy"], 6)]
    session.epoch()
    assert session.state()["from"] == 1 and len(session.history["loss"]) == 2


def test_reset_draws_new_weights_and_new_data_draws_new_points(client):
    """Reset: the next weight seed, the same points; New data: the next data seed, the same initial weights."""
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": QUICK, "id": 1})
        first = receive(ws, "ready")
        before = receive(ws, "state")["boundary"]
        assert (first["setup"]["seed"], first["setup"]["data_seed"]) == (0, 0)
        ws.send_json({"type": "reset", "id": 2})
        reset = receive(ws, "ready")
        assert reset["id"] == 2 and (reset["setup"]["seed"], reset["setup"]["data_seed"]) == (1, 0)
        assert reset["points"]["train"] == first["points"]["train"]  # the same data
        assert receive(ws, "state")["boundary"] != before  # other initial weights draw another boundary
        assert "--data-seed 0 " in reset["export"]["command"] and reset["export"]["command"].endswith("--seed 1")
        ws.send_json({"type": "new_data", "id": 3})
        new_data = receive(ws, "ready")
        assert (new_data["setup"]["seed"], new_data["setup"]["data_seed"]) == (1, 1)
        assert new_data["points"]["train"] != first["points"]["train"]
    # the setup a reply spells is one the page can send back as it is
    assert check_setup(new_data["setup"]) == check_setup({**QUICK, "seed": 1, "data_seed": 1})


def test_the_data_seed_draws_the_points_and_the_weight_seed_the_weights():
    sessions = {
        seeds: Session(check_setup({**QUICK, "seed": seeds[0], "data_seed": seeds[1]}))
        for seeds in [(0, 0), (0, 5), (3, 0)]
    }
    same_points = lambda a, b: np.array_equal(sessions[a].x, sessions[b].x)  # noqa: E731
    same_weights = lambda a, b: all(  # noqa: E731
        np.array_equal(p.value, q.value) for p, q in zip(sessions[a].model.parameters(), sessions[b].model.parameters())
    )
    assert not same_points((0, 0), (0, 5)) and same_weights((0, 0), (0, 5))
    assert same_points((0, 0), (3, 0)) and not same_weights((0, 0), (3, 0))


def test_the_first_epoch_is_announced_as_warming_up_and_a_speed_can_be_set(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": {**QUICK, "epochs": 3}})
        receive(ws, "ready")
        receive(ws, "state")
        ws.send_json({"type": "speed", "value": 30, "id": 7})
        assert receive(ws, "speed") == {"type": "speed", "value": 30.0, "id": 7}
        ws.send_json({"type": "start"})
        statuses = [receive(ws, "state")["status"]]
        statuses.append(state_until(ws, lambda m: m["status"] == "done")["status"])
        assert statuses == ["warming up", "done"]
        for bad in ("fast", 2, True, -1, [30]):
            ws.send_json({"type": "speed", "value": bad})
            assert receive(ws, "error")["message"].startswith("speed: ")
        ws.send_json({"type": "speed", "value": None})
        assert receive(ws, "speed")["value"] is None


def test_a_speed_spaces_the_epochs_out_and_no_speed_does_not():
    from mlplab.playground.server import pause_after

    assert pause_after(0.02, 10.0) == pytest.approx(0.08)
    assert pause_after(0.5, 10.0) == 0.0  # an epoch slower than the speed waits for nothing
    assert pause_after(0.02, None) == 0.0


@pytest.mark.parametrize("value", ["abc", None, -1, 0])
def test_a_rate_is_refused_in_the_same_words_in_a_setup_and_while_training(value):
    from mlplab.playground.server import learning_rate

    with pytest.raises(SetupError) as by_setup:
        check_setup({"lr": value})
    with pytest.raises(SetupError) as by_message:
        learning_rate(value)
    assert str(by_setup.value) == str(by_message.value)
    assert "None" not in str(by_setup.value)  # JSON's words: null


def test_the_diagram_has_a_map_per_neuron_and_a_weight_per_edge():
    session = Session(check_setup({**QUICK, "batch_norm": True, "dropout": 0.2}))
    network = session.network()
    assert network["sizes"] == [2, 8, 8, 2] and [len(column) for column in network["columns"]] == [2, 8, 8, 2]
    assert all(len(values) == network["grid"] ** 2 for column in network["columns"] for values in column)
    for k, layer in enumerate(session._dense):
        np.testing.assert_allclose(network["weights"][k], layer.W.value, atol=5e-5)
    # a hidden neuron's map is that neuron's output, in inference mode, over the grid
    grid = session._grid(network["grid"])
    hidden = session.model.layers[3].forward(
        session.model.layers[2].forward(session.model.layers[1].forward(session.model.layers[0].forward(grid)))
    )
    np.testing.assert_allclose(network["columns"][1][5], hidden[:, 5], atol=5e-5)
    np.testing.assert_allclose(np.sum(network["columns"][-1], axis=0), 1.0, atol=1e-3)  # class probabilities
    wide = Session(check_setup({**QUICK, "hidden": [40]})).network()
    assert wide["sizes"] == [2, 40, 2] and len(wide["columns"][1]) == 16  # the first 16 are drawn
    assert Session(check_setup({"dataset": "digits", "hidden": [8], "epochs": 1})).network() is None


def test_a_weight_set_by_hand_changes_the_next_prediction_and_bad_ones_are_refused(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": {**QUICK, "hidden": [4]}})
        receive(ws, "ready")
        before = receive(ws, "state")
        ws.send_json({"type": "weight", "layer": 1, "row": 2, "column": 0, "value": 25.0})
        after = receive(ws, "state")
        assert after["network"]["weights"][1][2][0] == 25.0 and after["boundary"] != before["boundary"]
        for bad, reason in [
            ({"layer": 2, "row": 0, "column": 0, "value": 1}, "weight: layer 2 is not one of the network's (0 to 1)"),
            ({"layer": 0, "row": 2, "column": 0, "value": 1}, "weight: row 2 is not in layer 0's (0 to 1)"),
            ({"layer": 0, "row": 0, "column": "x", "value": 1}, "weight: column 'x' is not in layer 0's (0 to 3)"),
            (
                {"layer": 0, "row": 0, "column": 0, "value": None},
                "weight: null is not allowed (must be a number in [-1000, 1000])",
            ),
            ({"layer": 0, "row": 0, "column": 0, "value": 1e9}, "weight: 1000000000.0 is not allowed"),
        ]:
            ws.send_json({"type": "weight", **bad})
            assert receive(ws, "error")["message"].startswith(reason)


def test_explain_step_gives_the_gradients_of_central_differences_and_changes_nothing():
    session = Session(check_setup({**QUICK, "hidden": [5, 4], "optimizer": "sgd", "lr": 0.3, "l2": 0.01}))
    session.epoch()
    weights = [p.value.copy() for p in session.model.parameters()]
    explained = session.explain(7)
    x, label = session.x[7:8].astype(np.float64), int(session.y[7])
    dense = [(layer.W.value.astype(np.float64), layer.b.value.astype(np.float64)) for layer in session._dense]

    def loss_of(params):  # the sample's loss, in float64, from the lectures' formulas
        a = x
        for k, (w, b) in enumerate(params):
            z = a @ w + b
            a = np.tanh(z) if k < len(params) - 1 else z
        return float(np.log(np.exp(a - a.max()).sum()) - (a[0, label] - a.max()))

    assert explained["loss"] == pytest.approx(loss_of(dense), rel=1e-5)
    for k, (w, _) in enumerate(dense):
        for i, j in [(0, 0), (1, w.shape[1] - 1), (w.shape[0] - 1, 1)]:
            step = 1e-5
            up = [(ww.copy(), bb) for ww, bb in dense]
            down = [(ww.copy(), bb) for ww, bb in dense]
            up[k][0][i, j] += step
            down[k][0][i, j] -= step
            numeric = (loss_of(up) - loss_of(down)) / (2 * step)
            assert explained["layers"][k]["grad"][i][j] == pytest.approx(numeric, rel=1e-3, abs=1e-6), (k, i, j)
    out = explained["layers"][-1]
    assert np.allclose(out["delta"], np.array(out["a"]) - np.eye(2)[label], atol=1e-5)  # delta = p - t
    # plain SGD with L2: the change is -lr * (dL/dw + l2 * w)
    w0 = session._dense[0].W.value.astype(np.float64)
    expected = -0.3 * (np.array(explained["layers"][0]["grad"]) + 0.01 * w0)
    np.testing.assert_allclose(explained["layers"][0]["change"], expected, atol=1e-5)
    for before, p in zip(weights, session.model.parameters()):
        np.testing.assert_array_equal(before, p.value)  # nothing of the explained step stays


def test_explaining_between_epochs_does_not_change_the_training():
    setup = {**QUICK, "epochs": 4, "optimizer": "adam", "lr": 0.01, "dropout": 0.2}
    explained, plain = Session(check_setup(setup)), Session(check_setup(setup))
    for _ in range(2):
        explained.epoch()
        explained.explain(3)
        plain.epoch()
    explained.epoch()
    plain.epoch()
    for a, b in zip(explained.model.parameters(), plain.model.parameters()):
        np.testing.assert_array_equal(a.value, b.value)
    with pytest.raises(ValueError, match=r"explain: sample 140 is not one of the training set's \(0 to 139\)"):
        explained.explain(140)
    with pytest.raises(ValueError, match="not for a network with batch norm"):
        Session(check_setup({**QUICK, "batch_norm": True})).explain(0)


def test_explain_over_the_websocket(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "setup", "config": QUICK})
        receive(ws, "ready")
        ws.send_json({"type": "explain", "sample": 2, "id": 9})
        explanation = receive(ws, "explanation")
        assert explanation["id"] == 9 and explanation["sample"] == 2 and len(explanation["layers"]) == 3
        ws.send_json({"type": "explain", "sample": "two"})
        assert receive(ws, "error")["message"].startswith("explain: sample 'two' is not one of the training set's")
