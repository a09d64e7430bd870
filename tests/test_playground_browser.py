"""The playground in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Screenshots go to ``test-artifacts/playground/`` at the top of the repository.
Skipped, with the reason, where Chromium or Playwright is missing.
"""

import json
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import pytest

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install playwright"
)
CHROMIUM = shutil.which("chromium") or (
    "/usr/lib/chromium/chromium" if Path("/usr/lib/chromium/chromium").exists() else None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found: install Debian's chromium (scripts/install-chromium.sh)"
)
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytestmark]

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "playground"


@pytest.fixture(scope="module")
def address():
    import uvicorn

    from mlplab.playground import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(address):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        page.wait_for_function("document.getElementById('status').textContent.startsWith('ready')", timeout=20000)
        yield page
        assert not errors, errors
        browser.close()


def choose(page, **values):
    """Set controls as a person does (type or pick, then leave the field), in the order given."""
    for name, value in values.items():
        if page.evaluate(f"document.getElementById('{name}').tagName") == "SELECT":
            page.select_option(f"#{name}", value)
        else:
            page.fill(f"#{name}", value)
        page.dispatch_event(f"#{name}", "change")


def wait_for(page, condition, timeout=20000):
    page.wait_for_function(condition, timeout=timeout)


def text(page, id_):
    return page.text_content(f"#{id_}")


def address_setup(page):
    """The setup the address bar holds (what a person copies to share)."""
    return json.loads(unquote(urlparse(page.url).fragment))


def open_address(page, address, fragment):
    """Load the page afresh at ``address#fragment``, as a shared link opens in a new tab."""
    page.goto("about:blank")
    page.goto(f"{address}#{fragment}")


def boundary_image(page):
    return page.evaluate("document.getElementById('boundary').toDataURL()")


def test_train_xor_with_two_hidden_layers_pause_change_the_rate_and_step(page):
    choose(page, dataset="xor", hidden="6 6", epochs="2000")
    page.wait_for_function(
        "document.getElementById('status').textContent.startsWith('ready') && "
        "document.getElementById('command').textContent.includes('--hidden 6 6')",
        timeout=20000,
    )
    page.screenshot(path=str(ARTIFACTS / "0-xor-ready.png"), full_page=True)
    page.click("#start")
    page.wait_for_function("parseFloat(document.getElementById('test-accuracy').textContent) >= 0.95", timeout=60000)
    page.click("#start")  # pause
    page.wait_for_function("document.getElementById('status').textContent === 'paused'", timeout=20000)
    accuracy = float(page.text_content("#test-accuracy"))
    assert accuracy >= 0.95
    page.screenshot(path=str(ARTIFACTS / "1-xor-trained.png"), full_page=True)
    before, epoch = boundary_image(page), int(page.text_content("#epoch"))
    choose(page, lr="3")
    page.wait_for_function("document.getElementById('status').textContent.includes('learning rate 3')", timeout=20000)
    page.click("#step")
    page.wait_for_function(f"parseInt(document.getElementById('epoch').textContent) === {epoch + 1}", timeout=20000)
    assert boundary_image(page) != before  # one epoch at the new rate moved the boundary
    assert "lr%22%3A3" in page.url  # the address holds the setup, new rate included
    page.screenshot(path=str(ARTIFACTS / "2-xor-after-rate-change.png"), full_page=True)


def test_spirals_train_to_a_clean_boundary(page):
    choose(page, dataset="spirals", hidden="16 16 16", optimizer="adam", lr="0.01")
    page.wait_for_function(
        "document.getElementById('command').textContent.includes('--optimizer adam --lr 0.01')", timeout=20000
    )
    page.click("#start")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('done')", timeout=120000)
    assert float(page.text_content("#test-accuracy")) >= 0.9
    page.screenshot(path=str(ARTIFACTS / "3-spirals-trained.png"), full_page=True)


def test_bad_input_is_shown_on_the_page_and_the_shared_address_restores_a_setup(page, address):
    page.fill("#hidden", "8 -3")
    page.dispatch_event("#hidden", "change")
    page.wait_for_function(
        "document.getElementById('status').textContent.includes('hidden: [8, -3] is not allowed (must be a list of layer sizes >= 1)')",
        timeout=20000,
    )
    page.screenshot(path=str(ARTIFACTS / "4-bad-input.png"), full_page=True)
    page.fill("#hidden", "5")
    page.select_option("#dataset", "moons")
    page.dispatch_event("#dataset", "change")
    page.wait_for_function("document.getElementById('command').textContent.includes('--dataset moons')", timeout=20000)
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    page.wait_for_function("document.getElementById('status').textContent.startsWith('ready')", timeout=20000)
    assert page.input_value("#dataset") == "moons" and page.input_value("#hidden") == "5"


def test_a_linear_model_draws_its_optimizer_path(page):
    page.fill("#hidden", "")
    page.select_option("#dataset", "blobs")
    page.wait_for_function("document.getElementById('command').textContent.includes('--dataset blobs')", timeout=20000)
    page.click("#start")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('done')", timeout=60000)
    assert page.is_visible("#path")
    page.screenshot(path=str(ARTIFACTS / "5-blobs-optimizer-path.png"), full_page=True)


def setup_fragment(**values):
    return quote(json.dumps(values))


READY = "document.getElementById('status').textContent.startsWith('ready')"
NOTICE = "!document.getElementById('notice').hidden"


@pytest.mark.parametrize(
    "fragment, reason",
    [
        (
            setup_fragment(dataset="moons", hidden=[16, None]),
            "hidden: [16, null] is not allowed (must be a list of layer sizes >= 1)",
        ),
        (setup_fragment(dataset="moons", lr=0), "lr: 0 is not allowed (must be > 0)"),
        (setup_fragment(dataset="moons", learning_rate=0.5), "learning_rate: unknown option; valid: activation,"),
        (quote("[16, 8]"), "the setup must be a JSON object"),
        ("hidden=16,8&lr=%E0%A4%A", "the address does not hold a setup the page can read (it is not JSON)"),
    ],
    ids=["hidden-null", "lr-0", "unknown-key", "not-an-object", "garbage"],
)
def test_a_bad_address_falls_back_to_the_defaults_with_a_notice_and_the_page_works(page, address, fragment, reason):
    from mlplab.playground.setup import PLAYGROUND_DEFAULTS

    open_address(page, address, fragment)
    wait_for(page, f"{NOTICE} && {READY} && document.getElementById('command').textContent !== ''")
    assert reason in text(page, "notice")  # the server's words: the field and the rule
    page.screenshot(path=str(ARTIFACTS / f"6-bad-address-{fragment[:12].replace('%', '')}.png"), full_page=True)
    # the defaults, in the form, the export and the address
    assert [page.input_value(f"#{k}") for k in ("dataset", "hidden", "lr")] == ["xor", "8 8", "0.1"]
    assert "--dataset xor" in text(page, "command") and "--hidden 8 8" in text(page, "command")
    assert address_setup(page) == PLAYGROUND_DEFAULTS
    # it trains
    page.click("#start")
    wait_for(page, "parseInt(document.getElementById('epoch').textContent) >= 3")
    # and every later change works and enters the address, while training and after
    choose(page, hidden="4 4")
    wait_for(page, f"{READY} && document.getElementById('command').textContent.includes('--hidden 4 4')")
    assert address_setup(page)["hidden"] == [4, 4]
    choose(page, dataset="circles")
    wait_for(page, f"{READY} && document.getElementById('command').textContent.includes('--dataset circles')")
    choose(page, lr="0.05")
    wait_for(page, "document.getElementById('status').textContent.includes('learning rate 0.05')")
    assert address_setup(page) == {**PLAYGROUND_DEFAULTS, "hidden": [4, 4], "dataset": "circles", "lr": 0.05}
    page.click("#step")
    wait_for(page, "document.getElementById('epoch').textContent === '1'")
    # the address now restores that setup, without a notice
    shared = page.url
    open_address(page, address, urlparse(shared).fragment)
    wait_for(page, READY)
    assert page.is_hidden("#notice")
    assert [page.input_value(f"#{k}") for k in ("dataset", "hidden", "lr")] == ["circles", "4 4", "0.05"]


def test_a_refused_change_in_the_form_does_not_enter_the_address(page, address):
    choose(page, dataset="moons")
    wait_for(page, "document.getElementById('command').textContent.includes('--dataset moons')")
    shared = page.url
    choose(page, lr="0")
    wait_for(page, "document.getElementById('status').textContent === 'lr: 0 is not allowed (must be > 0)'")
    assert page.url == shared and "invalid" in page.get_attribute("#lr", "class")
    choose(page, hidden="16 x")
    wait_for(page, "document.getElementById('status').textContent.startsWith('hidden: [16, null] is not allowed')")
    assert page.url == shared and "invalid" in page.get_attribute("#hidden", "class")
    page.screenshot(path=str(ARTIFACTS / "7-refused-change.png"), full_page=True)
    # the shared address still restores the last setup the server accepted
    page.goto("about:blank")
    page.goto(shared)
    wait_for(page, READY)
    assert page.is_hidden("#notice") and page.input_value("#dataset") == "moons" and page.input_value("#lr") == "0.1"
    # changes the server accepts enter the address
    choose(page, lr="0.3")
    wait_for(page, "document.getElementById('status').textContent.includes('learning rate 0.3')")
    assert address_setup(page)["lr"] == 0.3
    choose(page, hidden="16 8")
    wait_for(page, f"{READY} && document.getElementById('command').textContent.includes('--hidden 16 8 ')")
    assert {k: address_setup(page)[k] for k in ("dataset", "hidden", "lr")} == {
        "dataset": "moons",
        "hidden": [16, 8],
        "lr": 0.3,
    }


def test_an_address_pasted_into_an_open_page_is_checked_too(page, address):
    page.goto(f"{address}#{setup_fragment(lr=0)}")  # only the part after # changes: the page is not loaded again
    wait_for(page, f"{NOTICE} && {READY}")
    assert "lr: 0 is not allowed (must be > 0)" in text(page, "notice") and page.input_value("#lr") == "0.1"
    page.goto(f"{address}#{setup_fragment(dataset='spirals', hidden=[12])}")
    wait_for(page, f"{READY} && document.getElementById('command').textContent.includes('--dataset spirals')")
    assert page.is_hidden("#notice") and page.input_value("#hidden") == "12"
    assert address_setup(page)["hidden"] == [12]


def chart_image(page, id_):
    return page.evaluate(f"document.getElementById('{id_}').toDataURL()")


def blank_chart(page, id_):
    return page.evaluate(
        f"(() => {{ const c = document.getElementById('{id_}'), b = document.createElement('canvas');"
        " b.width = c.width; b.height = c.height; return b.toDataURL(); })()"
    )


def test_the_curves_start_at_epoch_0_mark_a_rate_change_and_switch_to_a_log_scale(page):
    wait_for(page, "history !== null && history.loss.length === 1")  # epoch 0, before any training
    assert page.evaluate("history.running_loss[0]") is None  # no batch has run yet
    assert chart_image(page, "loss-chart") != blank_chart(page, "loss-chart")  # a single point is drawn, as a dot
    page.click("#step")
    wait_for(page, "parseInt(document.getElementById('epoch').textContent) === 1 && history.loss.length === 2")
    choose(page, lr="0.05")
    wait_for(page, "document.getElementById('status').textContent.includes('learning rate 0.05')")
    assert page.evaluate("rateChanges") == [1]  # from epoch 1 on, marked on both charts
    page.click("#step")
    wait_for(page, "history.loss.length === 3")
    linear = chart_image(page, "loss-chart")
    page.check("#loss-log")
    assert chart_image(page, "loss-chart") != linear
    page.screenshot(path=str(ARTIFACTS / "6-curves-from-epoch-0.png"), full_page=True)


def test_reset_gives_new_weights_and_new_data_new_points_and_the_address_follows(page):
    wait_for(page, "history !== null && document.getElementById('command').textContent !== ''")
    boundary, train = boundary_image(page), page.evaluate("JSON.stringify(points.train)")
    page.click("#reset")
    wait_for(page, "document.getElementById('seed').value === '1'")
    wait_for(page, f"document.getElementById('boundary').toDataURL() !== {json.dumps(boundary)}")
    assert page.evaluate("JSON.stringify(points.train)") == train  # the same points
    assert address_setup(page)["seed"] == 1 and address_setup(page)["data_seed"] == 0
    page.click("#new_data")
    wait_for(page, "document.getElementById('data_seed').value === '1'")
    wait_for(page, f"JSON.stringify(points.train) !== {json.dumps(train)}")
    assert address_setup(page)["data_seed"] == 1 and page.input_value("#seed") == "1"
    assert "--data-seed 1" in text(page, "command")
    page.screenshot(path=str(ARTIFACTS / "7-new-data.png"), full_page=True)


def test_a_slow_speed_lets_the_first_epochs_be_watched(page):
    page.select_option("#speed", "3")
    wait_for(page, "document.getElementById('status').textContent === 'speed: at most 3 epochs a second'")
    page.click("#start")
    wait_for(page, "history.loss.length >= 3")  # epochs 0, 1 and 2 drawn one by one
    page.click("#start")  # pause
    wait_for(page, "document.getElementById('status').textContent === 'paused'")
    page.screenshot(path=str(ARTIFACTS / "8-slow-speed.png"))


def test_start_after_the_end_goes_on_and_the_page_follows(page):
    choose(page, epochs="4")
    wait_for(page, "document.getElementById('command').textContent.includes('--epochs 4')")
    page.click("#start")
    wait_for(page, "document.getElementById('status').textContent.startsWith('done')")
    page.click("#start")
    wait_for(page, "document.getElementById('epochs').value === '8'")
    wait_for(page, "document.getElementById('status').textContent.startsWith('done') && history.loss.length === 9")
    assert text(page, "epoch") == "8" and address_setup(page)["epochs"] == 8
    assert "--epochs 8" in text(page, "command")


OVERLAPS = """(() => {
  // visible leaf controls and drawings: none may cover another (a label holding its input is not a leaf)
  const items = [...document.querySelectorAll('input, select, button, output, canvas, .scores b, .status, h2, .field-error, .legend span')]
    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0);
  const found = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    const a = items[i].getBoundingClientRect(), b = items[j].getBoundingClientRect();
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 1 && h > 1 && !items[i].contains(items[j]) && !items[j].contains(items[i]))
      found.push(`${items[i].id || items[i].tagName} / ${items[j].id || items[j].tagName}`);
  }
  return found;
})()"""
CUT = """[...document.querySelectorAll('label, output, .scores div')].filter((el) => el.offsetParent !== null
  && (el.scrollWidth > el.clientWidth + 1 || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1))
  .map((el) => el.textContent.trim().slice(0, 30))"""


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_the_page_fits_a_desktop_and_a_phone_without_overlaps(address, width, height):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=2)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(address)
        wait_for(page, READY)
        page.click("#step")
        wait_for(page, "parseInt(document.getElementById('epoch').textContent) === 1")
        page.screenshot(path=str(ARTIFACTS / f"9-{width}x{height}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        assert page.evaluate(OVERLAPS) == []
        assert page.evaluate(CUT) == []  # no label, value or score cut off
        for id_ in ("points", "noise", "test_fraction"):  # each slider shows its value beside it
            assert page.is_visible(f"output[for={id_}]") and page.text_content(f"output[for={id_}]") != ""
        chart = page.evaluate(
            "[document.getElementById('loss-chart').width, document.getElementById('loss-chart').clientWidth]"
        )
        assert chart[0] == 2 * chart[1]  # drawn at the screen's 2 pixels per CSS pixel
        assert not errors, errors
        browser.close()


def test_the_fields_allow_what_the_server_allows_and_a_refusal_shows_at_its_field(page):
    from mlplab.playground.setup import field_ranges

    for name, (low, high) in field_ranges().items():
        if page.evaluate(f"document.getElementById('{name}').type") == "text":
            continue
        limits = page.evaluate(f"[document.getElementById('{name}').min, document.getElementById('{name}').max]")
        assert float(limits[0]) == low and (limits[1] == "" if high is None else float(limits[1]) == high), name
    choose(page, epochs="0")
    wait_for(page, "document.querySelector('label:has(#epochs) + .field-error') !== null")
    assert page.text_content("label:has(#epochs) + .field-error") == "0 is not allowed (must be a whole number >= 1)"
    choose(page, epochs="20")
    wait_for(page, "document.querySelector('label:has(#epochs) + .field-error').hidden")
    assert page.text_content("#legend") == "class 0class 1"


def test_test_data_can_be_hidden_and_the_output_discretized(page):
    page.click("#step")
    wait_for(page, "parseInt(document.getElementById('epoch').textContent) === 1")
    shown = boundary_image(page)
    page.uncheck("#show-test")
    hidden = boundary_image(page)
    page.check("#show-test")
    assert hidden != shown and boundary_image(page) == shown  # the test points, and only they, came and went
    page.check("#discretize")
    assert boundary_image(page) not in (shown, hidden)
    page.screenshot(path=str(ARTIFACTS / "10-discretized.png"))


def test_the_network_diagram_draws_every_neuron_and_weight_and_a_clicked_edge_sets_its_weight(page):
    wait_for(page, "network !== null")
    assert page.evaluate("network.columns.map((c) => c.length)") == [2, 8, 8, 2]
    assert page.evaluate("neurons.length") == 20 and page.evaluate("edges.length") == 2 * 8 + 8 * 8 + 8 * 2
    edge = page.evaluate(
        "(() => { const e = edges.find((e) => e.layer === 2 && e.row === 3 && e.column === 1); return e; })()"
    )
    box = page.locator("#network").bounding_box()
    x, y = box["x"] + (edge["x1"] + edge["x2"]) / 2, box["y"] + (edge["y1"] + edge["y2"]) / 2
    page.mouse.move(x, y)
    wait_for(page, "!document.getElementById('network-tip').hidden")
    assert text(page, "network-tip").startswith("W3[3, 1] = ")
    before = boundary_image(page)
    page.once("dialog", lambda dialog: dialog.accept("7.5"))
    page.mouse.click(x, y)
    wait_for(page, "network.weights[2][3][1] === 7.5")
    page.mouse.move(0, 0)  # off the diagram: the boundary, not a neuron's map
    wait_for(page, f"document.getElementById('boundary').toDataURL() !== {json.dumps(before)}")
    neuron = page.evaluate("neurons.find((n) => n.column === 1 && n.unit === 0)")
    page.mouse.move(box["x"] + neuron["x"] + neuron["size"] / 2, box["y"] + neuron["y"] + neuron["size"] / 2)
    wait_for(page, "document.getElementById('network-tip').textContent === 'neuron 1 of layer 1'")
    page.screenshot(path=str(ARTIFACTS / "11-network-diagram.png"), full_page=True)


def test_explain_step_on_a_clicked_point_shows_each_layers_numbers_with_the_formulas(page):
    page.click("#step")
    wait_for(page, "parseInt(document.getElementById('epoch').textContent) === 1")
    target = page.evaluate("points.train[5]")
    extent = page.evaluate("points.extent")
    box = page.locator("#boundary").bounding_box()
    x = box["x"] + (target[0] - extent[0]) / (extent[1] - extent[0]) * box["width"]
    y = box["y"] + (extent[3] - target[1]) / (extent[3] - extent[2]) * box["height"]
    page.mouse.click(x, y)
    wait_for(page, "chosen !== null")
    chosen = page.evaluate("chosen")
    page.click("#explain")
    wait_for(page, "!document.getElementById('explanation').hidden")
    shown = text(page, "explanation")
    assert f"One step on point {chosen} alone" in shown
    assert shown.count("∂L/∂W") == 3 and "δ = ∂L/∂z = p − t" in shown and "Δw = −η ∂L/∂w" in shown
    assert page.locator("#explanation table").count() >= 9
    page.screenshot(path=str(ARTIFACTS / "12-explain-step.png"), full_page=True)


def test_the_diagram_headers_add_and_remove_neurons_and_layers(page):
    wait_for(page, "network !== null")
    page.click("#layer-controls button[data-action='unit+0']")
    wait_for(page, "network.sizes.join(' ') === '2 9 8 2'")
    page.click("#layer-controls button[data-action='layer+']")
    wait_for(page, "network.sizes.join(' ') === '2 9 8 8 2'")
    page.click("#layer-controls button[data-action='unit-2']")
    wait_for(page, "network.sizes.join(' ') === '2 9 8 7 2'")
    page.click("#layer-controls button[data-action='layer-']")
    wait_for(page, "network.sizes.join(' ') === '2 9 8 2'")
    assert page.input_value("#hidden") == "9 8" and address_setup(page)["hidden"] == [9, 8]
    assert page.evaluate("edges.length") == 2 * 9 + 9 * 8 + 8 * 2


def test_a_lesson_address_shows_its_text_hides_and_locks_fields_and_reports_its_goal(page, address):
    from mlplab.playground.lessons import LESSONS, lesson_address

    rate = next(lesson for lesson in LESSONS if lesson["name"] == "rate-too-high")
    open_address(page, address, quote(json.dumps(lesson_address(rate))))
    wait_for(page, f"{READY} && !document.getElementById('lesson').hidden")
    assert text(page, "lesson-text") == rate["teach"]["text"]
    assert not page.is_visible("#optimizer") and not page.is_visible("#schedule")  # hidden
    assert page.is_disabled("#dataset") and page.is_disabled("#hidden")  # locked
    assert page.locator("#layer-controls button:not([disabled])").count() == 0  # the diagram's too
    assert (
        text(page, "goal-text") == "Goal: test loss below 0.2 at the last epoch."
        and text(page, "goal-status") == "not yet"
    )
    xor = next(lesson for lesson in LESSONS if lesson["name"] == "xor-needs-a-hidden-layer")
    page.select_option("#lessons", str(LESSONS.index(xor)))  # the menu opens a lesson as its address does
    wait_for(page, f"document.getElementById('lesson-text').textContent === {json.dumps(xor['teach']['text'])}")
    wait_for(page, f"{READY} && network !== null && network.sizes.join(' ') === '2 2'")
    assert page.is_visible("#optimizer") and not page.is_disabled("#hidden")
    page.click("#layer-controls button[data-action='layer+']")
    wait_for(page, "network.sizes.join(' ') === '2 4 2'")
    assert address_setup(page)["teach"] == xor["teach"]  # the lesson stays in the address
    page.click("#start")
    wait_for(page, "document.getElementById('goal-status').textContent.startsWith('met at epoch')", timeout=60000)
    page.screenshot(path=str(ARTIFACTS / "13-lesson-goal-met.png"))


def test_a_lesson_the_page_cannot_use_is_dropped_with_a_notice(page, address):
    open_address(page, address, setup_fragment(dataset="moons", teach={"hide": ["everything"]}))
    wait_for(page, f"{NOTICE} && {READY}")
    assert "the address's lesson was not used: teach.hide must list fields or panels" in text(page, "notice")
    assert not page.is_visible("#lesson") and page.input_value("#dataset") == "moons"


def test_the_data_downloads_as_csv_with_every_point(page, tmp_path):
    wait_for(page, "points !== null")
    with page.expect_download() as download:
        page.click("#download-data")
    saved = tmp_path / "data.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert download.value.suggested_filename == "xor.csv" and lines[0] == "x1,x2,label,set"
    train, test = page.evaluate("points.train.length"), page.evaluate("points.test.length")
    assert len(lines) == 1 + train + test
    first = lines[1].split(",")
    assert [float(first[0]), float(first[1])] == page.evaluate("points.train[0]") and first[3] == "train"
    assert lines[-1].endswith(",test")
