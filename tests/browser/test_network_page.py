"""The network page in a real browser: train live, pause and step, change the learning
rate mid-run, backprop vs nudging, the landscape, the URL, a lost connection.

Every test waits on the page's own state (data-run, data-epoch, what the socket
delivered), never on the clock. Pages fail their test on any console error,
uncaught exception or request to another host (conftest.PageProblems).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import page_opener, unlabelled_controls

RUN = "document.getElementById('netpage').dataset.run"
EPOCH = "Number(document.getElementById('netpage').dataset.epoch)"
NP = "window.networkPage"


def wait_network_ready(page) -> None:
    page.wait_for_selector("#netpage[data-ready='1']")
    page.wait_for_function(f"{RUN} === 'paused'")


@pytest.fixture
def open_network(browser, live_server):
    """open_network(query="", width=1280, height=800) → the network page, loaded and paused."""
    with page_opener(browser, live_server, "/network", wait_network_ready) as open_:
        yield open_


def epoch(page) -> int:
    return page.evaluate(EPOCH)


def wait_run(page, state: str, timeout: float = 60_000) -> None:
    page.wait_for_function(f"s => {RUN} === s", arg=state, timeout=timeout)


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def set_range(page, selector: str, value: str) -> None:
    """A range input as a person leaves it: the value, then input and change."""
    page.locator(selector).evaluate(
        """(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));
                        el.dispatchEvent(new Event('change', {bubbles: true})); }""",
        value,
    )


def test_open_from_the_surface_page_and_back_everything_labelled(open_page):
    page = open_page()
    page.click(".site-nav a:text-is('Network')")
    page.wait_for_url("**/network")
    wait_network_ready(page)
    assert page.get_attribute(".site-nav a[href='/network']", "aria-current") == "page"
    # the data over the network's output, and the network drawn: 2 + 16 + 16 + 1 units
    traces = page.evaluate(
        "document.getElementById('data-plot').data.map(t => [t.type, (t.x || []).length])"
    )
    assert traces[0] == ["heatmap", 40] and traces[1][1] + traces[2][1] == 200
    assert page.locator("#diagram svg circle").count() == 35
    assert page.locator(".explain-grid .katex").count() == 4
    assert unlabelled_controls(page) == []
    page.click(".site-nav a:text-is('Surfaces')")
    page.wait_for_selector("#explorer[data-ready='1']")


def test_train_on_xor_the_loss_falls_and_accuracy_reaches_95_percent(open_network):
    page = open_network("ds=xor&hidden=8,8&speed=100")
    # the starting network's output everywhere, before training
    page.wait_for_function(f"{NP}.latest && {NP}.latest.epoch === 0")
    page.wait_for_function("document.getElementById('data-plot').data[0].z[0][0] !== 0.5")
    start = page.evaluate("document.getElementById('data-plot').data[0].z.flat()")
    page.click("#play")
    wait_run(page, "playing")
    page.wait_for_function(f"{NP}.latest && {NP}.latest.train_accuracy >= 0.95")
    page.click("#play")
    wait_run(page, "paused")
    records = page.evaluate(f"{NP}.records")
    epochs = [r["epoch"] for r in records]
    assert epochs == list(range(len(records)))  # every epoch arrived, live, in order
    assert records[-1]["train_loss"] < 0.5 * records[0]["train_loss"]
    assert len(records) >= 5, "it trains at the chosen pace, not all at once"
    accuracy = float(page.inner_text("#train-acc").rstrip("%"))
    assert accuracy >= 95
    # the boundary, diagram, charts and heatmap followed
    page.wait_for_function(
        "start => document.getElementById('data-plot').data[0].z.flat()"
        ".some((v, i) => Math.abs(v - start[i]) > 0.3)",
        arg=start,
    )
    assert (
        page.evaluate("document.getElementById('loss-chart').data[0].x.length") >= len(records) - 1
    )
    lines = page.evaluate("document.getElementById('grad-chart').data.map(t => t.y.length)")
    assert len(lines) == 3 and min(lines) >= 5  # one line per layer
    page.wait_for_function(f"{NP}.snapshot && {NP}.snapshot.epoch === {EPOCH}")
    assert page.locator("#diagram path[data-sign][d^='M']").count() > 0  # weights drawn
    assert page.evaluate("document.getElementById('grad-heatmap').data[0].type") == "heatmap"


def test_pause_and_step_advance_exactly_one_epoch(open_network):
    page = open_network("ds=xor&hidden=4&speed=30")
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 3")
    page.click("#play")
    wait_run(page, "paused")
    paused = epoch(page)
    # the weights asked for after the pause come back at the paused epoch: it stopped there
    page.wait_for_function(f"e => {NP}.snapshot && {NP}.snapshot.epoch === e", arg=paused)
    assert epoch(page) == paused
    for expected in (paused + 1, paused + 2):
        page.click("#step")
        page.wait_for_function(f"e => {EPOCH} === e && {RUN} === 'paused'", arg=expected)
        page.wait_for_function(f"e => {NP}.snapshot && {NP}.snapshot.epoch === e", arg=expected)
        assert epoch(page) == expected
        assert page.evaluate(f"{NP}.latest.epoch") == expected
    page.click("#net-title")  # the keyboard: → is one more epoch
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"e => {EPOCH} === e", arg=paused + 3)
    assert page.inner_text("#epoch") == str(paused + 3)


def test_changing_the_learning_rate_mid_run_keeps_the_epoch_count(open_network):
    page = open_network("ds=spiral&speed=30")
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 10")
    before = epoch(page)
    page.fill("#lr-input", "0.1")
    page.press("#lr-input", "Enter")
    page.wait_for_function(f"{NP}.lastSet && {NP}.lastSet.hyperparameters.lr === 0.1")
    at = page.evaluate(f"{NP}.lastSet.epoch")
    assert at >= before  # the run went on: no reset
    page.wait_for_function(f"e => {EPOCH} >= e + 5", arg=at)
    assert page.evaluate(RUN) == "playing"
    records = page.evaluate(f"{NP}.records.map(r => r.epoch)")
    assert records[0] == 0 and records == list(range(len(records)))  # one run, unbroken
    assert "in force since epoch" in page.inner_text("#lr-help")
    page.wait_for_function("location.search.includes('lr=0.1')")


def test_backprop_agrees_with_nudging_at_2P_forward_passes(open_network):
    page = open_network("ds=xor&hidden=8&speed=30")
    page.click("#step")
    page.wait_for_function(f"{EPOCH} === 1 && {NP}.snapshot && {NP}.snapshot.epoch === 1")
    page.click("#check-run")
    verdict = page.locator("#check-result .check-verdict")
    verdict.wait_for()
    P = page.evaluate(f"{NP}.info.parameters")
    assert P == (2 + 1) * 8 + (8 + 1) * 1
    assert int(verdict.get_attribute("data-agree")) >= 6
    assert "agree" in verdict.inner_text() and f"all {P} weights" in verdict.inner_text()
    nudging = page.locator("#cost-nudging")
    assert int(nudging.get_attribute("data-forward-passes")) == 2 * P
    assert f"2 × {P} = {2 * P} forward passes" in nudging.inner_text()
    assert "1 forward + 1 backward pass" in page.inner_text("#cost-backprop")
    assert page.locator("#check-result .check-table tbody tr").count() == 6
    # each row: the two values agree, and their shared leading digits are marked
    for row in page.locator("#check-result .check-table tbody tr").all():
        backprop, nudging = (float(v) for v in row.locator("td").all_inner_texts())
        assert abs(backprop - nudging) <= 1e-6 * abs(backprop)
        assert row.locator("td mark").count() == 2


def test_the_landscape_draws_a_surface_and_the_hiker_replays_the_path(open_network):
    page = open_network("ds=xor&hidden=8&epochs=200&speed=0")
    page.click("#play")
    wait_run(page, "done")
    assert epoch(page) == 200
    page.click("#land-draw")
    page.wait_for_selector("#netpage[data-landscape='1']", timeout=60_000)
    surface = page.evaluate(
        "(() => { const t = document.getElementById('land-3d').data[0];"
        " return [t.type, t.z.length, t.z[0].length]; })()"
    )
    assert surface == ["surface", 31, 31]
    page.wait_for_selector("#netpage[data-replay='end']", timeout=60_000)
    path = page.evaluate(f"{NP}.landscape.result.path")
    assert path["epoch"][0] == 0 and path["epoch"][-1] == 200
    # the trail drawn on the map is the whole projected path, the hiker at its end
    trail = page.evaluate(
        "(() => { const d = document.querySelector('#land-map .map-front').data;"
        " return d.filter(t => t.mode === 'lines' && t.x.length > 1).map(t => [t.x, t.y]); })()"
    )
    assert trail and len(trail[0][0]) == len(path["alpha"])
    assert trail[0][0][-1] == path["alpha"][-1]
    assert "projected" in page.inner_text("#land-caveat")
    assert "%" in page.inner_text("#land-directions-note")  # PCA: the variance it explains


def test_the_url_restores_data_network_and_settings(open_network):
    page = open_network()
    page.select_option("#dataset", "moons")
    set_range(page, "#noise", "0.3")
    page.click("#add-layer")
    page.fill("#units-2", "5")
    page.press("#units-2", "Enter")
    page.select_option("#activation", "relu")
    page.select_option("#optimizer", "sgd")
    page.click("#hyper-details summary")
    page.fill("#hp-momentum", "0.9")
    page.press("#hp-momentum", "Enter")
    page.fill("#lr-input", "0.05")
    page.press("#lr-input", "Enter")
    page.select_option("#batch", "16")
    page.fill("#l2", "0.001")
    page.press("#l2", "Enter")
    page.select_option("#speed", "100")
    page.wait_for_function(
        "location.search.includes('l2=0.001') && location.search.includes('bs=16')"
        " && location.search.includes('speed=100')"
    )
    q = query(page)
    assert q["ds"] == ["moons"] and q["noise"] == ["0.3"] and q["hidden"] == ["16,16,5"]
    assert q["opt"] == ["sgd:lr=0.05:momentum=0.9"] and q["act"] == ["relu"]
    wait_run(page, "paused")

    again = open_network(page.url.split("?", 1)[1])
    assert again.input_value("#dataset") == "moons"
    assert again.input_value("#noise") == "0.3"
    assert [again.input_value(f"#units-{i}") for i in range(3)] == ["16", "16", "5"]
    assert again.input_value("#activation") == "relu"
    assert again.input_value("#optimizer") == "sgd"
    assert again.input_value("#lr-input") == "0.05"
    assert again.input_value("#hp-momentum") == "0.9"
    assert again.input_value("#batch") == "16"
    assert again.input_value("#l2") == "0.001"
    assert again.input_value("#speed") == "100"
    info = again.evaluate(f"{NP}.info")
    assert info["layer_sizes"] == [2, 16, 16, 5, 1] and info["activation"] == "relu"
    assert info["optimizer"] == "sgd" and info["hyperparameters"]["momentum"] == 0.9
    assert info["batch_size"] == 16 and info["l2"] == 0.001
    # the same link gives the same points
    assert info["train"] == page.evaluate(f"{NP}.info.train")


def test_points_drawn_by_clicking_are_trained_on_and_kept_in_the_link(open_network):
    page = open_network("ds=gauss&n=20&test=0&speed=0")
    page.click("label[for='draw-1']")
    assert page.is_checked("#draw-1")
    box = page.locator("#data-plot .nsewdrag").bounding_box()
    # the plot shows [-6, 6]²: a quarter across and a quarter down is (-3, 3)
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function(f"{NP}.info && {NP}.info.train.y.length === 21")
    # Measured again: a drawn point may change what stands above the plot.
    box = page.locator("#data-plot .nsewdrag").bounding_box()
    page.keyboard.down("Shift")  # shift-click: the other colour
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.75 * box["height"])
    page.keyboard.up("Shift")
    page.wait_for_function(f"{NP}.info && {NP}.info.train.y.length === 22")
    assert page.input_value("#dataset") == "own"
    points = page.evaluate(f"{NP}.state.points")
    assert points["y"][-2:] == [1, 0]
    (x1, y1), (x2, y2) = points["x"][-2:]
    assert abs(x1 + 3) < 0.3 and abs(y1 - 3) < 0.3 and abs(x2 - 3) < 0.3 and abs(y2 + 3) < 0.3
    page.wait_for_function("location.search.includes('ds=own')")
    assert len(query(page)["pts"][0].split(";")) == 22
    page.click("#play")
    wait_run(page, "done")
    again = open_network(page.url.split("?", 1)[1])
    assert again.evaluate(f"{NP}.state.points") == points


def test_a_lost_connection_is_shown_and_resumes_where_it_was(open_network):
    page = open_network("ds=spiral&speed=30")
    page.click("#play")
    page.wait_for_function(f"{NP}.snapshot && {NP}.snapshot.epoch >= 5")
    page.evaluate(f"{NP}.run.dropConnection()")
    wait_run(page, "lost")
    banner = page.locator("#connection")
    assert banner.is_visible() and "lost" in banner.inner_text()
    assert page.is_disabled("#play")
    resumed_from = page.evaluate(f"{NP}.snapshot.epoch")
    page.click("#reconnect")
    wait_run(page, "playing")
    assert not banner.is_visible()
    page.wait_for_function(f"e => {EPOCH} >= e + 5", arg=resumed_from)
    records = page.evaluate(f"{NP}.records.map(r => r.epoch)")
    assert records[0] == 0 and records == sorted(set(records))  # the count went on, no repeats
    assert page.evaluate(f"{NP}.run.epochOffset") == resumed_from


def test_bad_input_gets_a_specific_visible_message(open_network):
    page = open_network("ds=nowhere&hidden=8,999")
    assert "not understood" in page.inner_text("#alert")
    assert "nowhere" in page.inner_text("#alert") and "hidden layers" in page.inner_text("#alert")
    page.fill("#n", "1")
    page.press("#n", "Enter")
    page.locator("#n-error").wait_for(state="visible")
    assert "at least 2" in page.inner_text("#n-error")
    assert page.get_attribute("#n", "aria-invalid") == "true"
    page.fill("#n", "200")
    page.press("#n", "Enter")
    page.locator("#n-error").wait_for(state="hidden")
    page.fill("#units-0", "100")
    page.press("#units-0", "Enter")
    page.locator("#layers-error").wait_for(state="visible")
    assert "at most 64" in page.inner_text("#layers-error")
    page.fill("#lr-input", "-0.5")
    page.press("#lr-input", "Enter")
    page.locator("#lr-error").wait_for(state="visible")
    assert "positive" in page.inner_text("#lr-error")
    # Train refuses while a field is wrong, and says why
    page.click("#play")
    page.wait_for_function("document.getElementById('alert').textContent.includes('Fix this')")
    assert "learning rate" in page.inner_text("#alert") or "layer" in page.inner_text("#alert")
    assert page.evaluate(RUN) == "paused" and epoch(page) == 0


def test_a_big_network_gets_a_shorter_run_and_a_reason_not_a_refusal(open_network):
    page = open_network("ds=circle&n=2000&hidden=64,64,64,64,64,64,64,64&speed=0")
    info = page.evaluate(f"{NP}.info")
    assert info["parameters"] == 29377
    assert 1 <= info["epochs"] < 2000  # the server's work bound, met by the page
    assert f"stops at epoch {info['epochs']}" in page.inner_text("#epochs-help")
    assert page.is_hidden("#alert")
    page.wait_for_function(f"{NP}.snapshot !== null")
    page.click("#check-run")  # 2P forward passes would be over the bound: said, not sent
    assert "58754 forward passes" in page.inner_text("#check-status")
    assert "backpropagation" in page.inner_text("#check-status")


@pytest.mark.parametrize("width,height", [(1280, 800), (400, 800)])
def test_layout_fits_desktop_and_phone(open_network, width, height):
    page = open_network("ds=spiral&epochs=300&speed=0", width=width, height=height)
    play = page.locator("#play").bounding_box()
    assert play["y"] + play["height"] <= height, "Train is on the first screen"
    page.click("#play")
    wait_run(page, "done")
    page.wait_for_function(f"{NP}.snapshot && {NP}.snapshot.epoch === 300")
    page.click("#check-run")
    page.locator("#check-result .check-verdict").wait_for()
    page.click("#land-draw")
    page.wait_for_selector("#netpage[data-replay='end']", timeout=60_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    data = page.locator("#data-plot").bounding_box()
    controls = page.locator(".net-controls").bounding_box()
    if width < 800:
        assert controls["y"] >= data["y"] + data["height"], "controls stack below the data"
        assert data["width"] >= width - 40
    else:
        assert controls["x"] >= data["x"] + data["width"], "controls beside the plots"
    shots = os.environ.get("GH_SCREENSHOTS")
    if shots:  # GH_SCREENSHOTS=docs/screenshots refreshes the README's pictures
        Path(shots).mkdir(parents=True, exist_ok=True)
        name = "desktop" if width >= 800 else "phone"
        # the first screen on a phone; on a desktop, down to the charts
        page.evaluate("window.scrollTo(0, 0)")
        live = page.locator(".net-live").bounding_box()
        bottom = height if width < 800 else live["y"] + live["height"] + 12
        clip = {"x": 0, "y": 0, "width": width, "height": bottom}
        page.screenshot(path=str(Path(shots) / f"network-{name}.png"), full_page=True, clip=clip)
        page.locator(".net-more").screenshot(path=str(Path(shots) / f"network-{name}-closer.png"))
