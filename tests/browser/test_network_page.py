"""The network page in a real browser: train live, pause and step, change the learning
rate mid-run, backprop vs nudging, the landscape, the URL, a lost connection; the
server's verdicts, honest gradient bars, the vanishing-gradient experiment, the
learning-rate fan, what each unit computes, one example's backprop, and the phone.

Every test waits on the page's own state (data-run, data-epoch, what the socket
delivered), never on the clock. Pages fail their test on any console error,
uncaught exception or request to another host (conftest.PageProblems).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import page_opener, unlabelled_controls

RUN = "document.getElementById('netpage').dataset.run"
EPOCH = "Number(document.getElementById('netpage').dataset.epoch)"
NP = "window.networkPage"


# The decision boundary's map (a canvas under the data plot) at every fifth point of the
# boundary's grid: the pixel's colour there and the network's output at that point.
MAP_SAMPLES = """(() => {
  const canvas = document.querySelector('#data-plot canvas.boundary-image');
  const z = window.networkPage.boundary.shown;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const rows = z.length, cols = z[0].length, samples = [];
  for (let j = 2; j < rows; j += 5) for (let i = 2; i < cols; i += 5) {
    // grid point i lies at i / (cols − 1) of the width; row j at j / (rows − 1) from the bottom
    const px = Math.round((i / (cols - 1)) * canvas.width - 0.5);
    const py = Math.round((1 - j / (rows - 1)) * canvas.height - 0.5);
    const k = 4 * (py * canvas.width + px);
    samples.push({rgb: [pixels[k], pixels[k + 1], pixels[k + 2]], value: z[j][i]});
  }
  return samples;
})()"""


def wait_network_ready(page) -> None:
    # a selector, not a predicate: it also works under the enforced CSP (no eval)
    page.wait_for_selector("#netpage[data-ready='1'][data-run='paused']")


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
    assert traces[0][0] == traces[1][0] == "scatter" and traces[0][1] + traces[1][1] == 200
    shown = page.evaluate(f"{NP}.boundary.shown")
    assert len(shown) == 40 and {len(row) for row in shown} == {40}
    # the output's map fills the plot area, under the points (Plotly's layers come after it)
    area = page.locator("#data-plot .nsewdrag").bounding_box()
    drawn = page.locator("#data-plot canvas.boundary-image").bounding_box()
    assert all(abs(area[k] - drawn[k]) < 1 for k in ("x", "y", "width", "height"))
    assert page.evaluate(
        "(() => { const c = document.querySelector('#data-plot canvas.boundary-image');"
        " return c === c.parentNode.firstChild; })()"
    )
    assert page.locator("#diagram svg circle").count() == 35
    assert page.locator(".explain-grid .katex").count() == 4
    assert unlabelled_controls(page) == []
    page.click(".site-nav a:text-is('Surfaces')")
    page.wait_for_selector("#explorer[data-ready='1']")


def test_train_on_xor_the_loss_falls_and_accuracy_reaches_95_percent(open_network):
    page = open_network("ds=xor&hidden=8,8&speed=100")
    # the starting network's output everywhere, before training
    page.wait_for_function(f"{NP}.latest && {NP}.latest.epoch === 0")
    page.wait_for_function(f"{NP}.boundary.shown[0][0] !== 0.5")
    start = page.evaluate(f"{NP}.boundary.shown.flat()")
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
        f"start => {NP}.boundary.shown.flat().some((v, i) => Math.abs(v - start[i]) > 0.3)",
        arg=start,
    )
    # the map shows it: orange where the network says orange, blue where it says blue
    samples = page.evaluate(MAP_SAMPLES)
    orange = [s["rgb"] for s in samples if s["value"] > 0.9]
    blue = [s["rgb"] for s in samples if s["value"] < 0.1]
    assert orange and blue
    assert all(r > 200 and b < 120 for r, _, b in orange), orange
    assert all(r < 100 and b > 160 for r, _, b in blue), blue
    assert (
        page.evaluate("document.getElementById('loss-chart').data[0].x.length") >= len(records) - 1
    )
    lines = page.evaluate("document.getElementById('grad-chart').data.map(t => t.y.length)")
    assert len(lines) == 3 and min(lines) >= 5  # one line per layer
    page.wait_for_function(f"{NP}.snapshot && {NP}.snapshot.epoch === {EPOCH}")
    assert page.locator("#diagram path[data-sign][d^='M']").count() > 0  # weights drawn
    assert page.evaluate("document.getElementById('grad-heatmap').data[0].type") == "heatmap"


def test_pointing_at_the_background_tells_the_networks_output_there(open_network):
    page = open_network("ds=xor&hidden=8,8&speed=0&epochs=100")
    page.click("#play")
    wait_run(page, "done")
    page.wait_for_function(f"{NP}.boundary.shown === {NP}.latest.boundary")
    info = page.evaluate(f"{NP}.info")
    z = page.evaluate(f"{NP}.boundary.shown")
    grid = info["grid"]
    points = info["train"]["x"] + info["test"]["x"]
    # the grid point farthest from every data point (no point's label competes there)
    _, i, j = max(
        (min(math.hypot(x - a, y - b) for a, b in points), i, j)
        for j, y in enumerate(grid["y"])
        for i, x in enumerate(grid["x"])
    )
    page.mouse.move(*plot_xy(page, (grid["x"][i], grid["y"][j])))
    label = page.locator("#data-plot .boundary-hover .hovertext")
    label.wait_for()
    text = label.text_content()  # its two lines run together
    said = re.fullmatch(r"x₁ (-?[\d.]+), x₂ (-?[\d.]+)p\(orange\) (-?[\d.]+)", text)
    assert said, text
    x, y, p = (float(v) for v in said.groups())
    assert abs(x - grid["x"][i]) <= 0.0051 and abs(y - grid["y"][j]) <= 0.0051
    assert abs(p - z[j][i]) <= 0.0051
    # over a training point, Plotly's label for the point, and not the background's
    page.mouse.move(*plot_xy(page, info["train"]["x"][0]))
    page.locator("#data-plot .hoverlayer .hovertext").wait_for()
    assert "train" in page.locator("#data-plot .hoverlayer .hovertext").text_content()
    label.wait_for(state="detached")
    page.mouse.move(0, 0)  # off the plot: no label at all
    page.locator("#data-plot .hovertext").first.wait_for(state="detached")


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


SHEET_HIDDEN = "getComputedStyle(document.getElementById('settings')).visibility === 'hidden'"


def sheet_hidden(page) -> bool:
    """The phone's settings sheet is closed (slid away and hidden, app.css)."""
    return page.evaluate(SHEET_HIDDEN)


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
    page.click("#fan-run")
    page.wait_for_selector("#netpage[data-fan='1']", timeout=120_000)
    # one example's backprop, walked back to the first layer's δ
    page.evaluate("document.getElementById('data-plot').scrollIntoView({block: 'center'})")
    page.mouse.click(*plot_xy(page, page.evaluate(f"{NP}.info.train.x[7]")))
    page.wait_for_selector("#netpage[data-walk='0']")
    set_range(page, "#walk-slider", "11")
    page.wait_for_selector("#netpage[data-walk='11']")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    data = page.locator("#data-plot").bounding_box()
    if width < 800:
        # the 3D view stands back on a phone, so its tick labels stay in the picture
        assert page.evaluate("document.getElementById('land-3d').layout.scene.camera.eye.x") > 1.5
        assert data["width"] >= width - 40
        # the settings are a sheet opened from the train bar, which stays on screen
        assert sheet_hidden(page)
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        bar = page.locator("#transport").bounding_box()
        assert 0 <= bar["y"] and bar["y"] + bar["height"] <= height
        page.click("#settings-toggle")
        page.click("[data-jump='train-h']")
        lr = page.locator("#lr-input").bounding_box()
        assert bar["y"] + bar["height"] <= lr["y"] and lr["y"] + lr["height"] <= height
        page.click("#settings-close")
        page.wait_for_function(SHEET_HIDDEN)
        # no Plotly toolbar over a legend or the 3D view
        toolbars = page.locator(".net-live .modebar-container, #land-3d .modebar-container")
        assert toolbars.count() > 0 and all(not t.is_visible() for t in toolbars.all())
    else:
        controls = page.locator(".net-controls").bounding_box()
        assert controls["x"] >= data["x"] + data["width"], "controls beside the plots"
    shots = os.environ.get("GH_SCREENSHOTS")
    if shots:  # GH_SCREENSHOTS=docs/screenshots refreshes the README's pictures
        Path(shots).mkdir(parents=True, exist_ok=True)
        name = "desktop" if width >= 800 else "phone"
        # the first screen on a phone; on a desktop, down to the charts
        page.mouse.move(0, 0)  # no hover label in the picture
        page.evaluate("window.scrollTo(0, 0)")
        live = page.locator(".net-live").bounding_box()
        bottom = height if width < 800 else live["y"] + live["height"] + 12
        clip = {"x": 0, "y": 0, "width": width, "height": bottom}
        page.screenshot(path=str(Path(shots) / f"network-{name}.png"), full_page=True, clip=clip)
        if width >= 800:  # the closer looks: the fan, the gradient check and its cost
            closer = page.locator(".fan-panel").bounding_box()
            check = page.locator(".check-panel").bounding_box()
            clip = {**closer, "height": check["y"] + check["height"] - closer["y"]}
            page.screenshot(
                path=str(Path(shots) / "network-desktop-closer.png"), full_page=True, clip=clip
            )


# ------------------------------------------------------------------ issue 10

LOSS_CHART = "document.getElementById('loss-chart')"
VERDICT = "document.getElementById('netpage').dataset.verdict"


def grad_bars(page) -> list[dict]:
    """Each layer's gradient label in the diagram: its health and ratio to the largest."""
    return page.evaluate(
        """[...document.querySelectorAll('#diagram .grad-label')].map(g => ({
             layer: Number(g.dataset.layer), health: g.dataset.health,
             ratio: Number(g.dataset.ratio)}))"""
    )


def test_gradient_bars_compare_the_layers_and_a_converged_network_is_not_red(open_network):
    page = open_network("ds=xor&hidden=8,8&epochs=1500&speed=0")
    # the rule itself, on made-up norms (input side first)
    rule = page.evaluate(
        """import('/static/js/network/gradient-health.js').then(m => [
             m.gradientHealth([1e-5, 1e-3, 1e-1]).map(h => h.health),
             m.gradientHealth([1e-6, 3e-6, 2e-6]).map(h => h.health),
             m.gradientHealth([10, 0.05, 0.01]).map(h => h.health)])"""
    )
    assert rule == [
        ["vanishing", "vanishing", "ok"],  # 10⁴ and 100× below the output layer's
        ["ok", "ok", "ok"],  # all tiny, all alike: a trained network, healthy
        ["exploding", "ok", "ok"],  # 1000× the output layer's: grew on the way down
    ]
    page.click("#play")
    wait_run(page, "done", timeout=120_000)
    page.wait_for_function(f"{VERDICT} === 'converged'")
    last = page.evaluate(f"{NP}.records.at(-1)")
    assert last["train_accuracy"] == 1 and all(
        layer["weight_grad_norm"] < 1e-2 for layer in last["layers"]
    )
    bars = grad_bars(page)
    assert len(bars) == 3 and {b["health"] for b in bars} == {"ok"}, bars
    assert max(b["ratio"] for b in bars) == 1  # each bar is measured against the largest
    assert "converged" in page.inner_text("#run-status")
    assert "100× smaller than the largest" in page.inner_text("#grad-legend")


def test_the_vanishing_gradient_experiment_stalls_with_sigmoid_and_learns_with_tanh(open_network):
    page = open_network("speed=300")
    page.click("#preset-sigmoid")
    page.wait_for_function(f"{NP}.info && {NP}.info.activation === 'sigmoid' && {EPOCH} >= 300")
    page.wait_for_function("location.search.includes('act=sigmoid')")
    q = query(page)
    assert q["hidden"] == ["8,8,8,8,8,8"] and q["act"] == ["sigmoid"]
    assert q["opt"] == ["sgd:lr=0.5"] and q["ds"] == ["circle"] and q["bs"] == ["16"]
    page.wait_for_function(f"{VERDICT} === 'stalled'")
    assert "stalled" in page.inner_text("#run-status")
    records = page.evaluate(f"{NP}.records")
    # at the start the error reaching W₁ is 100× (and more) smaller than at the output
    first = [layer["weight_grad_norm"] for layer in records[0]["layers"]]
    assert first[0] <= first[-1] / 100
    # then it stalls at the loss of a coin toss (the entropy of the class shares, about
    # ln 2 = 0.693: it predicts the average), W₁'s line the lowest of the seven
    labels = page.evaluate(f"{NP}.info.train.y")
    share = sum(labels) / len(labels)
    coin = -share * math.log(share) - (1 - share) * math.log(1 - share)
    ratios = []
    for record in records[100:]:
        norms = [layer["weight_grad_norm"] for layer in record["layers"]]
        assert abs(record["train_loss"] - coin) < 0.01  # minibatches jitter it a little
        assert norms[0] < min(norms[1:]), (record["epoch"], norms)
        ratios.append(norms[0] / max(norms))
    # typically 1,000× below the largest (the output's, which minibatches make jumpy)
    assert sorted(ratios)[len(ratios) // 2] <= 1 / 100, sorted(ratios)
    assert records[-1]["train_accuracy"] < 0.7
    # and the diagram says so: W₁'s bar is the vanishing one
    page.wait_for_function(
        "document.querySelector('#diagram .grad-label[data-layer=\"1\"]').dataset.health"
        " === 'vanishing'"
    )

    page.click("#preset-tanh")  # the same network with tanh learns
    page.wait_for_function(f"{NP}.info.activation === 'tanh' && {NP}.records.length > 1")
    page.wait_for_function(f"{NP}.latest && {NP}.latest.train_accuracy >= 0.95", timeout=240_000)

    page.click("#preset-adam")  # the sigmoid network again, trained by Adam: it hides the problem
    page.wait_for_function(f"{NP}.info.activation === 'sigmoid' && {NP}.info.optimizer === 'adam'")
    page.wait_for_function("location.search.includes('opt=adam')")  # the URL follows within 150 ms
    assert query(page)["opt"] == ["adam:lr=0.01"] and query(page)["act"] == ["sigmoid"]
    page.wait_for_function(f"{NP}.latest && {NP}.latest.train_accuracy >= 0.95", timeout=240_000)
    # the gradient still vanishes at the start: Adam's steps do not depend on its size
    first = [layer["weight_grad_norm"] for layer in page.evaluate(f"{NP}.records[0].layers")]
    assert first[0] <= first[-1] / 100


def test_a_too_large_rate_is_named_unstable_and_each_change_is_marked(open_network):
    page = open_network("ds=spiral&speed=100")
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 20")
    page.fill("#lr-input", "10")
    page.press("#lr-input", "Enter")
    page.wait_for_function(f"{NP}.lastSet && {NP}.lastSet.hyperparameters.lr === 10")
    at = page.evaluate(f"{NP}.lastSet.epoch")
    page.wait_for_function(f"{VERDICT} === 'unstable'", timeout=60_000)
    assert "too large" in page.inner_text("#run-status")
    page.fill("#lr-input", "0.01")
    page.press("#lr-input", "Enter")
    page.wait_for_function(f"{NP}.lastSet.hyperparameters.lr === 0.01")
    back = page.evaluate(f"{NP}.lastSet.epoch")
    page.wait_for_function(f"{LOSS_CHART}.layout.shapes.length === 2")
    shapes = page.evaluate(f"{LOSS_CHART}.layout.shapes.map(s => [s.x0, s.x1])")
    assert shapes == [[at, at], [back, back]]
    labels = page.evaluate(f"{LOSS_CHART}.layout.annotations.map(a => a.text)")
    assert labels[:2] == ["γ = 10", "γ = 0.01"]
    # the gradient chart carries the same lines
    assert page.evaluate("document.getElementById('grad-chart').layout.shapes.length") == 2


def test_loss_and_accuracy_have_their_own_axes_and_a_log_or_linear_loss(open_network):
    page = open_network("ds=xor&hidden=4&speed=100")
    # at epoch 0 the charts say what will appear, rather than look empty
    words = page.evaluate(f"{LOSS_CHART}.layout.annotations.map(a => a.text).join(' ')")
    assert "Press Train" in words
    layout = page.evaluate(f"{LOSS_CHART}.layout")
    loss, accuracy = layout["yaxis"]["domain"], layout["yaxis2"]["domain"]
    assert accuracy[1] < loss[0], "accuracy sits below the loss, not over it"
    assert layout["yaxis"]["type"] == "log"
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 5")
    page.wait_for_function(f"{LOSS_CHART}.layout.annotations.length === 0")
    page.click("label[for='loss-linear']")
    page.wait_for_function(f"{LOSS_CHART}.layout.yaxis.type === 'linear'")
    page.wait_for_function("location.search.includes('loss=linear')")
    again = open_network(page.url.split("?", 1)[1])
    assert again.is_checked("#loss-linear")
    assert again.evaluate(f"{LOSS_CHART}.layout.yaxis.type") == "linear"


def test_pausing_and_resuming_never_move_the_page(open_network):
    page = open_network("ds=spiral&speed=30")

    def top() -> float:
        return page.locator("#data-plot").bounding_box()["y"]

    before = top()
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 3")
    assert top() == before
    page.click("#play")
    wait_run(page, "paused")
    page.wait_for_function("document.getElementById('run-status').textContent.includes('Paused')")
    assert top() == before
    page.click("#step")
    page.wait_for_function(f"{RUN} === 'paused'")
    assert top() == before


def test_drawn_points_are_outlined_and_clearing_them_clears_the_readout(open_network):
    page = open_network("ds=circle&n=40&speed=0&epochs=200")
    page.click("#play")
    wait_run(page, "done")
    assert page.inner_text("#train-acc").endswith("%")
    page.click("label[for='draw-1']")
    box = page.locator("#data-plot .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_function(
        f"{NP}.info && {NP}.info.train.y.length + {NP}.info.test.y.length === 41"
    )
    # an orange point on the orange middle of the circle: outlined in dark ink
    outline = page.evaluate(
        "document.getElementById('data-plot').data.slice(0, 2).map(t => t.marker.line.color)"
    )
    assert outline == ["#1d2330", "#1d2330"]
    page.click("#clear-points")
    page.wait_for_function(f"{NP}.state.points.y.length === 0")
    for field in ("#train-loss", "#test-loss", "#train-acc", "#test-acc"):
        assert page.inner_text(field) == "—", field
    assert "at least 2 points" in page.inner_text("#alert")


def test_one_tap_on_a_touch_screen_adds_one_point(browser, live_server):
    from tests.browser.conftest import PageProblems

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, bypass_csp=True
    )
    try:
        page = context.new_page()
        problems = PageProblems(live_server)
        problems.watch(page)
        page.goto(f"{live_server}/network?ds=gauss&n=20&test=0")
        wait_network_ready(page)
        page.tap("label[for='draw-1']")
        for count in (21, 22):
            box = page.locator("#data-plot .nsewdrag").bounding_box()
            page.tap(
                "#data-plot .nsewdrag", position={"x": box["width"] / 3, "y": box["height"] / 3}
            )
            page.wait_for_function(f"n => {NP}.info && {NP}.info.train.y.length === n", arg=count)
            wait_run(page, "paused")
        assert len(page.evaluate(f"{NP}.state.points.y")) == 22
        # a tap on a unit shows what it computes, and the tip stays after the finger lifts
        page.evaluate("document.getElementById('diagram').scrollIntoView({block: 'center'})")
        x, y = unit_xy(page, 1, 0)
        page.touchscreen.tap(x, y)
        page.locator("#diagram-tip").wait_for(state="visible")
        assert page.get_attribute("#diagram-tip", "data-unit") == "1:0"
        problems.check()
    finally:
        context.close()


def test_layer_names_never_run_together_on_a_wide_deep_network(open_network):
    page = open_network("ds=circle&n=100&hidden=64,64,64,64,64,64,64,64&epochs=5&speed=0")
    boxes = page.evaluate(
        """[...document.querySelectorAll('#diagram .layer-label')].map(t => {
             const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height, t.textContent]; })"""
    )
    texts = [b[4] for b in boxes]
    assert "input" in texts and "output (logit)" in texts or "output" in texts
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, f"{a[4]!r} and {b[4]!r} overlap"


@pytest.mark.parametrize(
    "settings,end",
    [
        ("act=linear&opt=sgd:lr=10", "diverged"),  # not finite after 6 epochs
        ("act=relu&opt=sgd:lr=10&epochs=300", "done"),  # finite, but weights of 10²¹
    ],
)
def test_the_gradient_check_on_a_blown_up_network_names_the_weights(open_network, settings, end):
    page = open_network(f"ds=spiral&speed=0&{settings}")
    page.click("#play")
    wait_run(page, end)
    page.wait_for_function(f"{NP}.snapshot !== null && {NP}.snapshot.epoch === {EPOCH}")
    page.click("#check-run")
    page.wait_for_function(
        "document.getElementById('check-status').textContent.includes('blew up')"
    )
    status = page.inner_text("#check-status")
    assert "The server says" in status and "learning rate was too large" in status
    if end == "diverged":
        assert page.evaluate(VERDICT) == "diverged"
    # no request was refused, so nothing reaches the console (the fixture checks)


def plot_xy(page, point) -> tuple[float, float]:
    """Where a data point is on screen, in the data plot."""
    box = page.locator("#data-plot .nsewdrag").bounding_box()
    rx, ry = page.evaluate(
        "(() => { const l = document.getElementById('data-plot').layout;"
        " return [l.xaxis.range, l.yaxis.range]; })()"
    )
    fx = (point[0] - rx[0]) / (rx[1] - rx[0])
    fy = (ry[1] - point[1]) / (ry[1] - ry[0])
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def unit_xy(page, column: int, unit: int) -> tuple[float, float]:
    """Where unit `unit` of column `column` is on screen, in the diagram."""
    box = page.locator("#diagram").bounding_box()
    cx, cy = page.evaluate(
        "k => { const c = document.querySelector(`#diagram circle[data-unit='${k}']`);"
        " return [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]; }",
        f"{column}:{unit}",
    )
    return box["x"] + cx, box["y"] + cy


def test_each_hidden_unit_shows_its_map_and_pointing_tells_more(open_network):
    page = open_network("ds=xor&hidden=4,3&speed=100")
    page.wait_for_function(f"{NP}.units !== null")
    units = page.evaluate(f"{NP}.units")
    assert [len(layer) for layer in units] == [4, 3]  # a map per hidden unit
    resolution = len(units[0][0])
    assert resolution >= 12 and all(len(row) == resolution for row in units[0][0])
    # tanh maps lie in [-1, 1], and they are painted on the diagram
    assert all(-1 <= v <= 1 for layer in units for grid in layer for row in grid for v in row)
    painted = page.evaluate(
        """(() => { const c = document.querySelector('#diagram canvas.unit-maps');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n; })()"""
    )
    assert painted > 7 * 20 * 20  # seven squares of more than 20 px a side
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 40")
    page.click("#play")
    wait_run(page, "paused")
    # the maps follow the training: epoch 0's and now's differ
    page.wait_for_function(f"e => {NP}.snapshot && {NP}.snapshot.epoch === e", arg=epoch(page))
    assert page.evaluate(f"{NP}.units") != units

    # a hidden unit: its map enlarged, with what it is
    page.mouse.move(*unit_xy(page, 1, 2))
    tip = page.locator("#diagram-tip")
    tip.wait_for(state="visible")
    assert tip.get_attribute("data-unit") == "1:2"
    assert "h₁ unit 2, tanh" in tip.inner_text() and "bias b =" in tip.inner_text()
    assert tip.locator("canvas.tip-map").bounding_box()["width"] >= 120
    # an edge: the weight and its gradient, as the snapshot has them
    (ax, ay), (bx, by) = unit_xy(page, 1, 0), unit_xy(page, 2, 0)
    page.mouse.move(ax + 0.3 * (bx - ax), ay + 0.3 * (by - ay))
    page.wait_for_function("document.getElementById('diagram-tip').dataset.edge === '2:0:0'")
    w, g = page.evaluate(f"[{NP}.snapshot.weights[1].W[0][0], {NP}.snapshot.gradients[1].W[0][0]]")
    text = tip.inner_text()
    assert "W₂[0, 0]" in text and "∂L/∂w" in text
    shown_w = float(text.split("weight w = ")[1].split("\n")[0].replace("−", "-"))
    assert abs(shown_w - w) <= 1e-3 * max(1, abs(w))
    assert page.get_attribute("#diagram .edge-highlight", "d").startswith("M")
    assert g is not None
    page.mouse.move(5, 5)
    tip.wait_for(state="hidden")


def test_one_example_walks_forward_then_back_through_the_chain_rule(open_network):
    page = open_network("ds=xor&hidden=3,2&speed=100")
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 30")
    # clicking a training point pauses the run and walks that example
    point, label = page.evaluate(f"[{NP}.info.train.x[5], {NP}.info.train.y[5]]")
    page.mouse.click(*plot_xy(page, point))
    page.wait_for_selector("#netpage[data-walk='0']")
    wait_run(page, "paused")
    # once paused, the walk is of the weights the diagram shows
    page.wait_for_function(
        f"{NP}.walk && {NP}.snapshot.epoch === {EPOCH} && {NP}.walk.epoch === {EPOCH}"
    )
    walk = page.evaluate(f"{NP}.walk")
    assert walk["x"] == point and walk["y"] == label and walk["index"] == 5
    assert walk["weights"] == page.evaluate(f"{NP}.snapshot.weights")
    kinds = [s["kind"] for s in walk["steps"]]
    assert kinds == [
        "input", "pre", "act", "pre", "act", "pre", "loss",
        "delta", "gradW", "delta", "gradW", "delta", "gradW",
    ]  # fmt: skip
    assert "x = (" in page.inner_text("#walk-step")
    # the chain rule, checked on the numbers the page shows
    reply = walk["reply"]
    layers = reply["layers"]
    p = 1 / (1 + math.exp(-reply["output"]))
    assert abs(layers[-1]["delta"][0] - (p - label)) < 1e-9  # δ at the output: σ(ŷ) − y
    for lower, upper in zip(layers[:-1], layers[1:], strict=True):
        W = walk["weights"][upper["layer"] - 1]["W"]
        for i, slope in enumerate(lower["slope"]):
            back = sum(W[i][j] * d for j, d in enumerate(upper["delta"]))
            assert abs(lower["delta"][i] - back * slope) < 1e-9  # δ = (W δ_next) ⊙ act′(z)
    for layer in layers:
        for i, v in enumerate(layer["input"]):
            for j, d in enumerate(layer["delta"]):
                assert abs(layer["grad_W"][i][j] - v * d) < 1e-12  # ∂L/∂W = input ⊗ δ

    def shown(cls: str, column: int) -> list[float]:
        return page.evaluate(
            """([cls, c]) => [...document.querySelectorAll(`#diagram .walk-value.${cls}[data-column='${c}']`)]
                 .map(t => Number(t.textContent.replaceAll('−', '-')))""",
            [cls, column],
        )

    # forward: the numbers appear on the diagram column by column
    page.click("#walk-next")  # z₁
    assert shown("value", 1) == pytest.approx(layers[0]["pre_activation"], abs=1e-3, rel=1e-2)
    page.click("#walk-next")  # h₁
    assert shown("value", 1) == pytest.approx(layers[0]["activation"], abs=1e-3, rel=1e-2)
    assert shown("grad", 1) == []
    set_range(page, "#walk-slider", "7")  # δ at the output
    assert "p − y" in page.inner_text("#walk-step") or "δ = ∂L/∂ŷ" in page.inner_text("#walk-step")
    assert shown("grad", 3) == pytest.approx(layers[2]["delta"], abs=1e-3, rel=1e-2)
    for _ in range(5):
        page.click("#walk-next")
    assert page.is_disabled("#walk-next")
    # at the end every hidden unit carries its δ, and ∂L/∂W₁ is drawn on the first edges
    assert shown("grad", 1) == pytest.approx(layers[0]["delta"], abs=1e-3, rel=1e-2)
    assert page.locator("#diagram .walk-grad-edge").count() == 2 * 3
    assert "∂L/∂W₁ = x ⊗ δ₁" in page.inner_text("#walk-step")
    assert page.locator("#walk-formula .katex").count() == 1
    page.click("#walk-close")
    assert page.is_hidden("#walk") and page.locator("#diagram .walk-value").count() == 0


def test_a_walk_still_on_its_way_when_the_paused_weights_arrive_follows_them(open_network):
    """The click's walk is of the weights seen at the click; the run pauses a few epochs
    later. Were the paused epoch's weights to arrive before the walk, it would land with
    older weights than the diagram's, and stay so: the walk is asked again for them."""
    page = open_network("ds=xor&hidden=3,2&speed=100")
    # the walks asked for are held until the paused epoch's weights are in
    held, gate = [], {"open": False}

    def hold_until_open(route):
        if gate["open"]:
            route.continue_()
        else:
            held.append(route)

    page.route("**/api/network/backprop", hold_until_open)
    page.click("#play")
    page.wait_for_function(f"{EPOCH} >= 30")
    page.mouse.click(*plot_xy(page, page.evaluate(f"{NP}.info.train.x[5]")))
    wait_run(page, "paused")
    page.wait_for_function(f"{NP}.snapshot && {NP}.snapshot.epoch === {EPOCH}")
    assert page.evaluate(f"{NP}.walk") is None  # still on its way
    gate["open"] = True
    for route in held:
        route.continue_()
    page.wait_for_function(
        f"{NP}.walk && {NP}.walk.epoch === {NP}.snapshot.epoch && {NP}.walk.epoch === {EPOCH}"
    )
    walk = page.evaluate(f"{NP}.walk")
    assert walk["index"] == 5 and walk["weights"] == page.evaluate(f"{NP}.snapshot.weights")
    assert page.get_attribute("#netpage", "data-walk") == "0"
    assert f"the weights of epoch {walk['epoch']}" in page.inner_text("#walk-example")


def test_the_learning_rate_fan_names_too_small_and_too_large(open_network):
    page = open_network("ds=spiral&epochs=600")
    page.click("#fan-run")
    page.wait_for_selector("#netpage[data-fan='1']", timeout=120_000)
    runs = page.evaluate(
        """[...document.querySelectorAll('#fan-runs .fan-run')].map(f => ({
             lr: Number(f.dataset.lr), verdict: f.dataset.verdict,
             points: f.querySelector('.plot').data[0].x.length}))"""
    )
    assert [r["lr"] for r in runs] == [3e-5, 0.00095, 0.03, 0.95, 30]  # around Adam's 0.03
    assert runs[0]["verdict"] == "stalled" and runs[2]["verdict"] == "converged"
    assert runs[-1]["verdict"] == "unstable"
    assert all(r["points"] > 10 for r in runs)
    # the charts share their axes, so the curves compare at a glance
    ranges = page.evaluate(
        "[...document.querySelectorAll('#fan-runs .plot')].map(p => p.layout.yaxis.range)"
    )
    assert all(r == ranges[0] for r in ranges)
    assert "too large" in page.inner_text("#fan-runs .fan-run:last-child")


def test_why_backprop_the_measured_cost_as_networks_grow(open_network):
    page = open_network("ds=spiral&n=100")
    page.locator("#scaling").scroll_into_view_if_needed()
    page.wait_for_selector("#netpage[data-scaling='1']", timeout=120_000)
    chart = page.evaluate(
        "(() => { const p = document.getElementById('scaling-chart');"
        " return {x: p.data[0].x, nudging: p.data[0].y, backprop: p.data[1].y,"
        " xtype: p.layout.xaxis.type, ytype: p.layout.yaxis.type, mark: p.layout.shapes[0].x0}; })()"
    )
    assert chart["xtype"] == "log" and chart["ytype"] == "log"
    assert chart["x"][0] <= 20 and chart["x"][-1] >= 10_000  # P from ~10 to ~10⁴
    assert chart["mark"] == 337  # the network on the page
    # nudging grows with P, and ends far slower than backprop
    assert chart["nudging"][-1] > 100 * chart["nudging"][0]
    assert chart["nudging"][-1] > 100 * chart["backprop"][-1]
    assert "slower" in page.inner_text("#scaling-note")


def test_the_datasets_are_described_in_plain_words(open_network):
    page = open_network()
    for option in page.evaluate(
        "[...document.querySelectorAll('#dataset option')].map(o => o.value)"
    ):
        if option == "own":
            continue
        page.select_option("#dataset", option)
        words = page.inner_text("#dataset-description")
        assert words and not any(j in words for j in ("std", "jitter", "·noise", "2.5×")), words


def test_maps_walk_fan_and_costs_draw_under_the_content_security_policy(open_network):
    """The views of issue 10 under the policy the server sends (no bypass): canvases,
    KaTeX in the walk, Plotly in the fan and the cost chart; any blocked thing would be
    a console error, which fails the test."""
    from tests.browser.test_csp import wait_until

    page = open_network("ds=xor&hidden=4,3&epochs=100&speed=0", enforce_csp=True)
    page.click("#play")
    wait_until(page, f"{RUN} === 'done' && {NP}.units !== null && {NP}.snapshot !== null")
    page.mouse.click(*plot_xy(page, page.evaluate(f"{NP}.info.train.x[0]")))
    wait_until(page, "document.querySelector('#walk-formula .katex') !== null")
    page.click("#fan-run")
    page.locator("#scaling").scroll_into_view_if_needed()
    wait_until(
        page, "['fan', 'scaling'].every(k => document.getElementById('netpage').dataset[k])", 120
    )
    assert page.locator("#fan-runs .fan-run").count() == 5
