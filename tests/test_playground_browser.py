"""The playground in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Screenshots go to ``test-artifacts/playground/`` at the top of the repository.
Skipped, with the reason, where Chromium or Playwright is missing.
"""

import shutil
import socket
import threading
import time
from pathlib import Path

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
