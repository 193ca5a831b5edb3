"""The surface explorer in a real browser: the lessons a newcomer does, end to end.

Every test waits on the page's own state (data-run, readout text, the URL),
never on the clock; the `open_page` fixture fails a test on any console error,
uncaught exception or request to another host.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from tests.browser.conftest import unlabelled_controls

RUN_STATE = "document.getElementById('explorer').dataset.run"


def test_page_loads_typesets_and_labels_every_control(open_page):
    page = open_page()
    assert page.inner_text("#surface-title") == "Himmelblau"
    surface = page.evaluate(
        "() => { const t = document.getElementById('plot3d').data[0];"
        " return {type: t.type, nx: t.x.length, ny: t.y.length}; }"
    )
    assert surface == {"type": "surface", "nx": 100, "ny": 100}
    assert page.locator("#map .map-back .contourlayer path").count() > 0
    # f and both partial derivatives, typeset by the vendored KaTeX
    for box in ("#formula-f", "#formula-gx", "#formula-gy", "#equation [data-eq-body]"):
        assert page.locator(f"{box} .katex").count() == 1, box
    assert "Gradient descent" in page.inner_text("#readout-body")
    assert unlabelled_controls(page) == []


def test_pick_himmelblau_and_watch_the_hiker_walk_down_to_convergence(open_page, ui):
    page = open_page("s=bowl&speed=40")
    page.select_option("#surface-select", "himmelblau")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Himmelblau'")
    # f(-0.5, -0.5) on Himmelblau: the hiker waits at the lesson's start
    page.wait_for_function("Math.abs(window.gradientHiker.shown()[0].z - 179.125) < 1e-9")
    seen = [ui.hikers(page)[0]["z"]]
    step = 0
    page.click("#run")
    while True:
        page.wait_for_function(
            f"(() => {{ const h = window.gradientHiker.shown()[0];"
            f" return h.step > {step} || {RUN_STATE} === 'done'; }})()"
        )
        hiker = ui.hikers(page)[0]
        if hiker["step"] > step:
            seen.append(hiker["z"])
            step = hiker["step"]
        if page.evaluate(RUN_STATE) == "done":
            break
    final = ui.hikers(page)[0]
    if final["step"] > step:
        seen.append(final["z"])
    assert len(seen) >= 5, "the hiker should be seen walking, not jump to the end"
    assert all(b <= a + 1e-9 for a, b in zip(seen, seen[1:], strict=False)), seen
    assert seen[0] == 179.125 and seen[-1] < 1e-6
    assert final["status"] == "converged"
    assert page.inner_text("#readout-body td[data-col='status']").startswith("converged at step")
    assert "global" in page.inner_text("#readout-body td[data-col='minimum']")


def test_clicking_the_map_sets_the_start(open_page, ui):
    page = open_page("s=bowl&speed=2000")
    box = page.locator("#map .map-front .nsewdrag").bounding_box()
    # the bowl's map shows x, y in [-5, 5]: three quarters across and a quarter down is (2.5, 2.5)
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
    page.wait_for_function(
        "Math.abs(Number(document.getElementById('start-x').value) - 2.5) < 0.1"
        " && Math.abs(Number(document.getElementById('start-y').value) - 2.5) < 0.1"
    )
    page.wait_for_function("Math.abs(window.gradientHiker.shown()[0].z - 12.5) < 1")
    page.wait_for_function("location.search.includes('start=')")
    x, y = (float(v) for v in ui.query(page)["start"][0].split(","))
    assert abs(x - 2.5) < 0.1 and abs(y - 2.5) < 0.1
    page.click("#run")
    ui.done(page)
    assert ui.hikers(page)[0]["status"] == "converged"
    path = page.evaluate("window.gradientHiker.runner.runs[0].path")
    first = [path["x"][0], path["y"][0]]
    assert first == [x, y]


def test_your_own_formula_runs(open_page, ui):
    page = open_page("speed=2000")
    page.select_option("#surface-select", "__formula__")
    page.fill("#formula-input", "x**2 + 3*y**2 - x*y")
    for field, value in (("#x-lo", "-3"), ("#x-hi", "3"), ("#y-lo", "-2"), ("#y-hi", "2")):
        page.fill(field, value)
    page.click("#formula-submit")
    page.wait_for_function(
        "document.getElementById('surface-title').textContent === 'Your formula'"
    )
    assert page.locator("#formula-f .katex").count() == 1
    page.wait_for_function("location.search.includes('f=')")  # the URL follows within 150 ms
    assert ui.query(page)["f"] == ["x**2 + 3*y**2 - x*y"]
    assert ui.query(page)["xr"] == ["-3,3"]
    assert page.evaluate("document.getElementById('plot3d').data[0].x[0]") == -3
    page.click("#run")
    ui.done(page)
    assert ui.hikers(page)[0]["status"] == "converged"


def test_bad_input_gets_a_specific_visible_message(open_page, ui):
    page = open_page()
    page.select_option("#surface-select", "__formula__")
    # a broken formula: the API's message, with the character where it went wrong marked
    page.fill("#formula-input", "x**2 + 3*y**2 + sin(x")
    page.click("#formula-submit")
    error = page.locator("#formula-error")
    error.wait_for(state="visible")
    assert "parenthes" in error.inner_text()
    assert "character 20" in error.inner_text()
    assert page.inner_text("#formula-error mark") == "("
    assert page.get_attribute("#formula-input", "aria-invalid") == "true"
    assert page.inner_text("#surface-title") == "Himmelblau"  # the lesson stays where it was
    # an empty formula
    page.fill("#formula-input", "")
    page.click("#formula-submit")
    page.wait_for_function(
        "document.getElementById('formula-error').textContent.includes('Type a formula')"
    )
    # a range with lo >= hi
    page.fill("#formula-input", "x**2")
    page.fill("#x-lo", "3")
    page.fill("#x-hi", "-3")
    page.click("#formula-submit")
    page.locator("#range-error").wait_for(state="visible")
    assert "less than" in page.inner_text("#range-error")
    # a negative learning rate
    page.fill("#lr-input", "-0.5")
    page.press("#lr-input", "Enter")
    page.locator("#lr-error").wait_for(state="visible")
    assert "positive" in page.inner_text("#lr-error")
    # Run refuses, and says why
    page.click("#run")
    page.locator("#alert").wait_for(state="visible")
    assert "learning rate" in page.inner_text("#alert")
    assert page.evaluate(RUN_STATE) == "idle"
    # a bad max steps
    page.fill("#max-steps", "0")
    page.press("#max-steps", "Tab")
    page.locator("#max-steps-error").wait_for(state="visible")
    assert "at least 1" in page.inner_text("#max-steps-error")


def test_learning_rate_fan_on_a_bowl_labels_divergence_and_convergence(open_page, ui):
    page = open_page("s=bowl&speed=2000")
    page.click("#fan")
    page.wait_for_function("window.gradientHiker.state.hikers.length === 5")
    ui.done(page)
    words = [h["verdict"]["word"] for h in ui.hikers(page)]
    assert "diverges" in words and "converges" in words, words
    assert words[0] == "crawls"  # the smallest learning rate
    cells = page.locator("#readout-body td[data-col='verdict']").all_inner_texts()
    assert cells == words
    badges = page.locator("#hiker-list .badge").all_inner_texts()
    assert badges == words
    page.wait_for_function("new URLSearchParams(location.search).getAll('h').length === 5")
    lrs = [float(h.split("lr=")[1].split(":")[0]) for h in ui.query(page)["h"]]
    assert lrs == sorted(lrs) and lrs[-1] / lrs[0] > 100


def test_the_url_restores_the_lesson(open_page, ui):
    page = open_page()
    page.select_option("#surface-select", "rosenbrock")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Rosenbrock'")
    page.check("#log-colour")
    page.click("#add-hiker")
    page.select_option("#optimizer-select", "adam")
    page.fill("#lr-input", "0.05")
    page.press("#lr-input", "Enter")
    page.fill("#max-steps", "300")
    page.press("#max-steps", "Tab")
    page.check("#view-basins")
    page.wait_for_function(
        "location.search.includes('steps=300') && location.search.includes('view=basins')"
    )
    link = page.url
    labels = page.locator("#hiker-list .name").all_inner_texts()

    again = open_page(link.split("?", 1)[1])
    assert again.input_value("#surface-select") == "rosenbrock"
    assert again.is_checked("#log-colour")
    assert again.is_checked("#view-basins")
    assert again.input_value("#max-steps") == "300"
    assert again.locator("#hiker-list .name").all_inner_texts() == labels
    assert "Adam γ = 0.05" in labels[1]
    assert again.input_value("#lr-input") == "0.05"  # the second hiker is the one selected
    assert again.evaluate("document.getElementById('plot3d').data[0].surfacecolor !== undefined")


def test_equation_panel_numbers_reproduce_every_step(open_page, ui):
    """The panel replays torch's rule in the browser: its θ_t must be the streamed point."""
    hikers = [
        "sgd:lr=0.002:momentum=0.9:nesterov=1:weight_decay=0.1",
        "sgd:lr=0.003:momentum=0.5:dampening=0.3",
        "adagrad:lr=0.3:lr_decay=0.01:initial_accumulator_value=0.1",
        "rmsprop:lr=0.01:centered=1:momentum=0.5:weight_decay=0.01",
        "adam:lr=0.05:amsgrad=1:weight_decay=0.01",
        "adamw:lr=0.05:betas=0.8,0.99",
    ]
    query = "&".join(["s=himmelblau", "tol=0", "steps=40", "speed=2000", "sel=5"])
    page = open_page(query + "".join(f"&h={h}" for h in hikers))
    page.click("#run")
    ui.done(page)
    worst = page.evaluate(
        """() => {
          let worst = 0;
          window.gradientHiker.state.hikers.forEach((_, i) => {
            for (let k = 1; k <= 40; k++) {
              const s = window.gradientHiker.equationStep(i, k);
              for (const c of [0, 1]) {
                const scale = Math.max(1, Math.abs(s.actualNext[c]));
                worst = Math.max(worst, Math.abs(s.next[c] - s.actualNext[c]) / scale);
              }
            }
          });
          return worst;
        }"""
    )
    assert worst < 1e-9
    assert page.inner_text("#equation .eq-title") == "5. Adam, γ = 0.05 — step 40"
    tex = page.evaluate("document.querySelector('#equation [data-eq-body] annotation').textContent")
    assert "bias corrections" in tex and "\\hat v_t" in tex


def test_keyboard_runs_pauses_steps_and_resets(open_page, ui):
    page = open_page("s=rosenbrock&speed=5")
    page.click("#stage-title")  # focus on the page, not a control
    page.keyboard.press("ArrowRight")
    page.wait_for_function("window.gradientHiker.shown()[0].step === 1")
    assert page.evaluate(RUN_STATE) == "paused"
    page.keyboard.press(" ")
    ui.run_state(page, "playing")
    page.keyboard.press(" ")
    ui.run_state(page, "paused")
    page.keyboard.press("r")
    ui.run_state(page, "idle")
    page.wait_for_function("window.gradientHiker.shown()[0].step === 0")


def test_basin_map_click_sends_a_hiker(open_page, ui):
    page = open_page("s=himmelblau&view=basins&speed=2000")
    page.wait_for_function("document.querySelectorAll('#basin-legend li').length === 6")
    assert page.locator("#map .map-back .heatmaplayer image").count() == 1
    box = page.locator("#map .map-front .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"])
    ui.done(page)
    assert ui.hikers(page)[0]["status"] == "converged"
    assert page.inner_text("#readout-body td[data-col='minimum']").startswith("global")
    # the map still shows the basins after the animation
    assert page.locator("#map .map-back .heatmaplayer image").count() == 1


def test_export_paths_and_figures(open_page, ui):
    page = open_page("s=bowl&speed=2000")
    page.click("#run")
    ui.done(page)
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    path = page.evaluate("window.gradientHiker.runner.runs[0].path")
    assert len(rows) == len(path["x"])
    assert rows[0]["step"] == "0" and rows[0]["optimizer"] == "sgd"
    assert float(rows[-1]["x"]) == path["x"][-1]
    with page.expect_download() as download:
        page.click("#export-json")
    lesson = json.loads(Path(download.value.path()).read_text())
    assert lesson["surface"] == "bowl" and lesson["runs"][0]["status"] == "converged"
    for button in ("#png-3d", "#png-map"):
        with page.expect_download() as download:
            page.click(button)
        assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("width,height", [(1280, 800), (400, 800)])
def test_layout_fits_desktop_and_phone(open_page, width, height):
    page = open_page("s=himmelblau", width=width, height=height)
    page.click("#step")
    page.wait_for_function("window.gradientHiker.shown()[0].step === 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    map_box = page.locator("#map").bounding_box()
    controls = page.locator(".controls").bounding_box()
    if width < 800:
        assert controls["y"] >= map_box["y"] + map_box["height"], "controls stack below the plots"
    else:
        assert controls["x"] >= map_box["x"] + map_box["width"], "controls beside the plots"
    run = page.locator("#run").bounding_box()
    assert run["y"] + run["height"] <= height, "Run is on the first screen"
    shots = os.environ.get("GH_SCREENSHOTS")
    if shots:  # GH_SCREENSHOTS=docs/screenshots refreshes the README's pictures
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"surface-explorer-{width}.png"))
