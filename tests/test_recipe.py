"""The recipe: one table of options, each bad value reported with the same rule by every front end."""

import json
import re
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from mlplab.cli import main
from mlplab.playground import SetupError, check_setup, create_app
from mlplab.recipe import (
    FLAG,
    OPTIONS,
    Config,
    ConfigError,
    Integer,
    Interval,
    Names,
    Sizes,
    load_config,
    load_data,
    read_config_file,
    split_data,
)
from mlplab.tune import SearchSpace

# (option, bad value, the rule's words): each front end must say "<option as written>: <value> <rule>"
BAD_VALUES = [
    ("lr", -1, "-1 is not allowed (must be > 0)"),
    ("dropout", 1, "1 is not allowed (must be in [0, 1))"),
    ("epochs", 0, "0 is not allowed (must be a whole number >= 1)"),
    ("l2", -0.5, "-0.5 is not allowed (must be >= 0)"),
    ("optimizer", "adamm", "'adamm' is not a known name (one of adadelta, adagrad, adam, adamw, gd, rmsprop, sgd)"),
]


def cli_error(capsys, *argv):
    assert main(list(argv)) == 2
    return capsys.readouterr().err.strip().removeprefix("mlplab train: error: ").removeprefix("mlplab tune: error: ")


@pytest.mark.parametrize("option, value, rule", BAD_VALUES)
def test_every_front_end_reports_a_bad_value_with_the_same_rule_in_its_own_words(tmp_path, capsys, option, value, rule):
    flag = "--" + option.replace("_", "-")
    assert cli_error(capsys, "train", flag, str(value), "--out", str(tmp_path)) == f"{flag}: {rule}"

    config = tmp_path / "recipe.yaml"
    config.write_text(yaml.safe_dump({option: value}))
    assert (
        cli_error(capsys, "train", "--config", str(config), "--out", str(tmp_path)) == f"{option} in {config}: {rule}"
    )

    with pytest.raises(SetupError) as refused:
        check_setup({option: value})
    assert str(refused.value) == f"{option}: {rule}"
    with TestClient(create_app()) as client:
        assert client.post("/api/export", json={option: value}).json()["error"] == f"{option}: {rule}"

    with pytest.raises(ValueError) as refused:
        SearchSpace.from_mapping({option: {"choices": [value, OPTIONS[option].default]}})
    assert str(refused.value) == f"{option}: {rule}"
    space = tmp_path / "space.yaml"
    space.write_text(yaml.safe_dump({option: value, "patience": {"choices": [1, 2]}}))  # a fixed value in a space file
    assert (
        cli_error(capsys, "tune", "--config", str(space), "--out", str(tmp_path / "t"))
        == f"{option} in {space}: {rule}"
    )


def test_the_scikit_learn_estimators_use_the_shared_rules():
    from mlplab.sklearn import MLPClassifier

    with pytest.raises(ValueError, match=re.escape("learning_rate_init: -1 is not allowed (must be > 0)")):
        MLPClassifier(learning_rate_init=-1).fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--hidden", "0"], "--hidden: 0 is not allowed (must be a list of layer sizes >= 1)"),
        (["--hidden", "16", "x"], "--hidden: 16 x is not allowed (must be a list of layer sizes >= 1)"),
        (["--dataset", "moons", "--test-fraction", "1.5"], "--test-fraction: 1.5 is not allowed (must be in (0, 1))"),
        (["--val-fraction", "-0.1"], "--val-fraction: -0.1 is not allowed (must be in [0, 1))"),
        (["--batch-size", "-3"], "--batch-size: -3 is not allowed (must be a whole number >= 0, or null for none)"),
        (["--epochs", "2.5"], "--epochs: 2.5 is not a whole number (must be a whole number >= 1)"),
        (["--lr", "nan"], "--lr: nan is not a finite number (must be > 0)"),
        (
            ["--dataset", "cifar"],
            "--dataset: 'cifar' is not a valid choice (one of fashion-mnist, mnist, digits, xor, "
            "moons, circles, spirals, blobs, or null)",
        ),
    ],
)
def test_the_command_line_names_the_flag_the_value_and_the_rule(tmp_path, capsys, argv, message):
    assert cli_error(capsys, "train", *argv, "--out", str(tmp_path)) == message
    assert not any(tmp_path.iterdir())  # refused before anything is written


def test_the_table_declares_every_option_with_a_rule_and_a_help():
    assert list(OPTIONS) == list(Config().to_dict())
    for option in OPTIONS.values():
        assert option.help and option.rule.check(option.default) == option.default, option.name
    assert isinstance(OPTIONS["lr"].rule, Interval) and isinstance(OPTIONS["epochs"].rule, Integer)
    assert isinstance(OPTIONS["hidden"].rule, Sizes) and isinstance(OPTIONS["optimizer"].rule, Names)


def test_values_become_their_canonical_types():
    config = Config().updated({"hidden": "64, 32", "lr": "1e-3", "batch-size": 0, "schedule": "none", "epochs": 3.0})
    assert config.hidden == (64, 32) and config.lr == 1e-3 and config.batch_size is None
    assert config.schedule is None and config.epochs == 3 and isinstance(config.epochs, int)
    with pytest.raises(AttributeError):
        config.lr = 0.1  # frozen
    assert Config(hidden=[8], batch_size=0).hidden == (8,)
    with pytest.raises(ConfigError, match=re.escape("lr: -1 is not allowed (must be > 0)")):
        Config(lr=-1)


def test_config_files_round_trip_and_hostile_files_are_refused(tmp_path):
    from mlplab.recipe import write_config

    config = Config().updated({"hidden": [32], "schedule": None, "batch_size": 0, "clip_norm": 2.5})
    write_config(config, tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == config
    (tmp_path / "a.yaml").write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_config_file(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        read_config_file(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_bytes(b"#" * (2 << 20))
    with pytest.raises(ConfigError, match="larger than"):
        read_config_file(tmp_path / "c.yaml")
    (tmp_path / "d.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"\.yaml, \.yml or \.toml"):
        read_config_file(tmp_path / "d.json")


def test_a_two_d_set_keeps_a_test_and_a_training_point_at_any_test_fraction():
    for fraction in (0.001, 0.999):
        data = load_data(Config().updated({"dataset": "moons", "points": 10, "test_fraction": fraction}, FLAG))
        assert len(data.y_train) >= 1 and len(data.y_test) >= 1 and len(data.y_train) + len(data.y_test) == 10


def test_a_named_image_set_that_is_missing_is_an_error_and_nothing_is_written(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="MNIST data not found"):
        load_data(Config(dataset="mnist", data_dir=str(tmp_path)))
    out = tmp_path / "runs"
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path), "--out", str(out)]) == 2
    assert "Fashion-MNIST data not found" in capsys.readouterr().err
    assert not out.exists()  # a refused run writes nothing


def test_with_no_data_set_named_the_synthetic_stand_in_is_announced_and_recorded(tmp_path, capsys, monkeypatch):
    from mlplab.datasets import standin
    from mlplab.recipe import STAND_IN

    monkeypatch.setattr(standin, "_ANNOUNCED", set())
    config = Config(data_dir=str(tmp_path), val_fraction=0.5)
    data = load_data(config)
    assert data.name == "synthetic" and data.x_train.shape == (60_000, 784) and data.image_shape == (28, 28)
    assert "Using synthetic images" in capsys.readouterr().err
    load_data(config)
    assert capsys.readouterr().err == ""  # said once
    x, y, x_val, y_val = split_data(config, data)
    assert len(x) == len(x_val) == 30_000
    out = tmp_path / "runs"
    flags = ["--data-dir", str(tmp_path), "--hidden", "8", "--epochs", "1", "--out", str(out), "--json"]
    assert main(["train", *flags]) == 0
    results = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert results["dataset"] == "synthetic" and results["stand_in"] == STAND_IN
    assert Path(results["run_dir"]).name.startswith("synthetic-") and STAND_IN in Path(results["report"]).read_text()


def test_a_run_never_writes_into_another_runs_folder(tmp_path, capsys):
    from mlplab.recipe import create_run_folder

    flags = ["--dataset", "xor", "--hidden", "4", "--epochs", "1", "--out", str(tmp_path), "--quiet"]
    assert main(["train", *flags, "--name", "mine"]) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "mine").iterdir()}
    assert main(["train", *flags, "--name", "mine", "--lr", "0.5"]) == 2
    assert "exists already; give another --name, or continue it with --resume" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "mine").iterdir()} == before
    same_second = [create_run_folder(tmp_path, None, "xor") for _ in range(3)]
    assert len({folder.name for folder in same_second}) == 3 and all(f.is_dir() for f in same_second)


def test_the_searchs_own_out_and_seed_flags_are_not_trial_options():
    from mlplab.cli import build_parser
    from mlplab.cli.train import given_options
    from mlplab.cli.tune import FIXING_FLAGS

    args = build_parser().parse_args(["tune", "--out", "results", "--seed", "5", "--epochs", "3"])
    assert given_options(args, FIXING_FLAGS) == {"epochs": "3"}
