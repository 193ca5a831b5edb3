"""The surface explorer in a real browser: the lessons a newcomer does, end to end.

Every test waits on the page's own state (data-run, readout text, the URL),
never on the clock; the `open_page` fixture fails a test on any console error,
uncaught exception or request to another host.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
from pathlib import Path

import pytest

from app.surfaces import CATALOGUE
from tests.browser.conftest import unlabelled_controls

RUN_STATE = "document.getElementById('explorer').dataset.run"
PHONE = {"width": 390, "height": 844}


def run_to_the_end(page, ui) -> None:
    """Press Run and let it play as fast as the page can (a learner would drag Speed up)."""
    page.evaluate("window.gradientHiker.runner.speed = 1e6")
    page.click("#run")
    ui.done(page)


def readout(page, column: str) -> list[str]:
    return page.locator(f"#readout-body [data-col='{column}']").all_inner_texts()


def surfaces(page) -> dict[str, dict]:
    return {s["name"]: s for s in page.evaluate("fetch('/api/surfaces').then(r => r.json())")}


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


def test_the_map_and_the_hikers_come_before_the_3d_view(open_page):
    """Issue 12: the map's first look with the hikers (a canvas, painted before plotly.js
    runs), then Plotly's map with the hikers, then the 3D view; the page's own marks
    (performance.mark) say in which order. Once ready, the first look is gone."""
    page = open_page("s=rosenbrock")
    marks = ["gh:preview", "gh:scripts", "gh:map-drawn", "gh:first-hiker", "gh:3d-drawn"]
    times = page.evaluate(
        "(names) => names.map((name) => {"
        " const mark = performance.getEntriesByName(name, 'mark')[0];"
        " return mark ? mark.startTime : null; })",
        marks,
    )
    assert None not in times, dict(zip(marks, times, strict=True))
    assert times == sorted(times), dict(zip(marks, times, strict=True))
    assert page.locator("#map canvas.map-preview").count() == 0
    assert page.get_attribute("#plot3d", "aria-busy") is None  # "Drawing the 3D view…" gone
    # the 3D view was drawn with the hikers already at their starts
    hikers = page.evaluate(
        "() => document.getElementById('plot3d').data.find((t) => t.name === 'hikers').x"
    )
    assert len(hikers) == len(page.evaluate("window.gradientHiker.state.hikers")) > 1
    assert None not in hikers


def test_the_page_keeps_the_content_security_policy(open_page, ui):
    """No inline script, no eval: a run under the app's own CSP logs no violation."""
    page = open_page("s=bowl&h=sgd:lr=0.1&speed=2000", enforce_csp=True)
    page.click("#run")
    ui.done(page)
    page.wait_for_selector("#readout-body td[data-col='verdict'][data-verdict='converged']")


def test_pick_himmelblau_and_watch_the_hiker_walk_down_to_convergence(open_page, ui):
    page = open_page("s=bowl")
    page.select_option("#surface-select", "himmelblau")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Himmelblau'")
    # the lesson's fan: the second hiker (γ = 0.01) converges; f(-0.5, -0.5) = 179.125 at the start
    walker = 1
    page.wait_for_function(f"Math.abs(window.gradientHiker.shown()[{walker}].z - 179.125) < 1e-9")
    page.locator("#speed").fill("20")  # a few steps a second: slow enough to watch
    page.wait_for_function("window.gradientHiker.runner.speed < 6")
    seen = [ui.hikers(page)[walker]["z"]]
    step = 0
    page.click("#run")
    while True:
        page.wait_for_function(
            f"(() => {{ const h = window.gradientHiker.shown()[{walker}];"
            f" return h.step > {step} || h.status !== null; }})()"
        )
        hiker = ui.hikers(page)[walker]
        if hiker["step"] > step:
            seen.append(hiker["z"])
            step = hiker["step"]
        if hiker["status"] is not None:
            break
    assert len(seen) >= 5, "the hiker should be seen walking, not jump to the end"
    assert all(b <= a + 1e-9 for a, b in zip(seen, seen[1:], strict=False)), seen
    assert seen[0] == 179.125 and seen[-1] < 1e-6
    final = ui.hikers(page)[walker]
    assert final["status"] == "converged" and final["verdict"]["word"] == "converged"
    # the readout refreshes a few times a second while a run plays: wait for its last refresh
    page.wait_for_function(
        f"document.querySelectorAll('#readout-body tr')[{walker}]"
        ".querySelector(\"[data-col='verdict']\").textContent.trim() === 'converged'"
    )
    row = page.locator("#readout-body tr").nth(walker)
    assert row.locator("[data-col='verdict']").inner_text() == "converged"
    assert row.locator("[data-col='minimum']").inner_text().startswith("global")


def test_a_hiker_on_the_saddle_ridge_is_told_saddle(open_page, ui):
    """The server's verdict: |∇f| vanishes at the centre, yet it is no minimum."""
    page = open_page("s=saddle&start=-1.8,0")
    run_to_the_end(page, ui)
    hikers = ui.hikers(page)
    assert [h["verdict"]["word"] for h in hikers] == ["saddle"] * len(hikers)
    assert readout(page, "verdict") == ["saddle"] * len(hikers)
    assert page.locator("#hiker-list .badge").all_inner_texts() == ["saddle"] * len(hikers)
    assert not any("converged" in text for text in readout(page, "verdict"))
    assert "λ = −2, 2" in page.get_attribute("#readout-body td[data-col='verdict']", "title")
    assert "saddle" in page.inner_text("#run-status")


def wait_camera(page, eye: dict) -> None:
    """Wait for the 3D view to look from ``eye``: after a surface switch it is drawn after
    the map (and after the page says it is ready), with the new surface's camera."""
    page.wait_for_function(
        """eye => { const c = document.getElementById('plot3d').layout.scene.camera.eye;
                    return c.x === eye.x && c.y === eye.y && c.z === eye.z; }""",
        arg=eye,
    )


def preset_words(page) -> list[str]:
    return page.locator("#readout-body td[data-col='verdict']").all_inner_texts()


@pytest.mark.parametrize("name", ["rosenbrock", "elongated_bowl", "saddle", "himmelblau"])
def test_switching_surface_loads_its_preset_and_its_verdicts_come_true(open_page, ui, name):
    page = open_page("s=bowl")
    preset = surfaces(page)[name]["preset"]
    page.select_option("#surface-select", name)
    page.wait_for_function(
        "n => window.gradientHiker.state.hikers.length === n", arg=len(preset["runs"])
    )
    ui.ready(page)
    state = page.evaluate("window.gradientHiker.state")
    for hiker, run in zip(state["hikers"], preset["runs"], strict=True):
        assert hiker["optimizer"] == run["optimizer"]
        assert hiker["params"]["lr"] == run["lr"]
        assert hiker["params"].get("momentum", 0) == run.get("momentum", 0)
    assert page.input_value("#max-steps") == str(preset["max_steps"])
    assert float(page.input_value("#tolerance")) == preset["tolerance"]
    wait_camera(page, preset["camera"]["eye"])
    assert page.locator("#preset-note").is_visible()
    run_to_the_end(page, ui)
    assert preset_words(page) == preset["expect"]


def test_keep_my_hikers_keeps_the_learners_own(open_page, ui):
    page = open_page("s=bowl&h=adam:lr=0.2&h=sgd:lr=0.05:momentum=0.8&steps=300")
    page.check("#keep-hikers")
    page.select_option("#surface-select", "rosenbrock")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Rosenbrock'")
    ui.ready(page)
    state = page.evaluate("window.gradientHiker.state")
    assert [h["optimizer"] for h in state["hikers"]] == ["adam", "sgd"]
    assert [h["params"]["lr"] for h in state["hikers"]] == [0.2, 0.05]
    assert page.input_value("#max-steps") == "300"
    assert not page.locator("#preset-note").is_visible()
    # the camera is still the new surface's
    wait_camera(page, surfaces(page)["rosenbrock"]["preset"]["camera"]["eye"])
    page.wait_for_function("location.search.includes('keep=1')")
    # unticked, the next surface brings its lesson
    page.uncheck("#keep-hikers")
    page.select_option("#surface-select", "saddle")
    page.wait_for_function("window.gradientHiker.state.hikers.length === 2")
    page.wait_for_function("window.gradientHiker.state.hikers[0].optimizer === 'sgd'")


def test_the_learning_rate_fan_still_works_after_a_preset(open_page, ui):
    page = open_page("s=bowl")
    page.click("#fan")
    page.wait_for_function("window.gradientHiker.state.hikers.length === 5")
    ui.done(page)
    words = [h["verdict"]["word"] for h in ui.hikers(page)]
    assert "diverged" in words and "converged" in words, words
    assert words[0] == "crawling"  # the smallest learning rate
    assert readout(page, "verdict") == words
    assert page.locator("#hiker-list .badge").all_inner_texts() == words
    page.wait_for_function("new URLSearchParams(location.search).getAll('h').length === 5")
    lrs = [float(h.split("lr=")[1].split(":")[0]) for h in ui.query(page)["h"]]
    assert lrs == sorted(lrs) and lrs[-1] / lrs[0] > 100


def test_clicking_the_map_sets_the_start(open_page, ui):
    page = open_page("s=bowl&h=sgd:lr=0.1&speed=2000")
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
    assert [path["x"][0], path["y"][0]] == [x, y]


def test_your_own_formula_runs_and_shows_its_minima(open_page, ui):
    page = open_page("speed=2000&h=sgd:lr=0.05")
    page.select_option("#surface-select", "__formula__")
    page.fill("#formula-input", "(x**2 - 1)**2 + y**2 + 0.3*x")
    for field, value in (("#x-lo", "-2"), ("#x-hi", "2"), ("#y-lo", "-2"), ("#y-hi", "2")):
        page.fill(field, value)
    page.click("#formula-submit")
    page.wait_for_function(
        "document.getElementById('surface-title').textContent === 'Your formula'"
    )
    assert page.locator("#formula-f .katex").count() == 1
    page.wait_for_function("location.search.includes('f=')")  # the URL follows within 150 ms
    assert ui.query(page)["f"] == ["(x**2 - 1)**2 + y**2 + 0.3*x"]
    assert ui.query(page)["xr"] == ["-2,2"]
    page.wait_for_function(
        "document.getElementById('plot3d').data[0].x[0] === -2"
    )  # 3D after the map
    # the minima the server found: a deep valley on the left (★), a shallow one on the right (◇)
    marks = page.evaluate(
        "document.querySelector('#map .map-front').data"
        ".filter(t => t.name.endsWith('minimum')).map(t => [t.name, t.x.map(Math.round)])"
    )
    assert marks == [["global minimum", [-1]], ["local minimum", [1]]]
    assert (
        page.locator("#legend-global").is_visible() and page.locator("#legend-local").is_visible()
    )
    page.click("#run")
    ui.done(page)
    assert ui.hikers(page)[0]["verdict"]["word"] == "converged"
    assert readout(page, "minimum")[0].startswith("global (−1.0")


def test_minima_are_marked_the_same_in_both_views_and_the_legend(open_page):
    page = open_page("s=two_valleys")
    three_d = page.evaluate(
        "document.getElementById('plot3d').data"
        ".filter(t => t.name && t.name.endsWith('minimum')).map(t => [t.name, t.text])"
    )
    assert three_d == [["global minimum", ["★"]], ["local minimum", ["◇"]]]
    on_map = page.evaluate(
        "document.querySelector('#map .map-front').data"
        ".filter(t => t.name.endsWith('minimum')).map(t => [t.name, t.marker.symbol])"
    )
    assert on_map == [["global minimum", "star"], ["local minimum", "diamond-open"]]
    assert page.inner_text("#legend-global").startswith("★ global")
    assert page.inner_text("#legend-local").startswith("◇ local")
    # a surface with global minima only says nothing about local ones
    page.select_option("#surface-select", "himmelblau")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Himmelblau'")
    page.locator("#legend-local").wait_for(state="hidden")


def test_the_url_restores_the_lesson_and_its_camera(open_page, ui):
    page = open_page()
    page.select_option("#surface-select", "rosenbrock")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Rosenbrock'")
    # Rosenbrock spans decades: its colour is logarithmic until the learner says otherwise
    assert page.is_checked("#log-colour")
    page.uncheck("#log-colour")
    page.click("#add-hiker")
    page.select_option("#optimizer-select", "adam")
    page.fill("#lr-input", "0.05")
    page.press("#lr-input", "Enter")
    page.fill("#max-steps", "300")
    page.press("#max-steps", "Tab")
    page.check("#view-basins")
    # turning the 3D view (as a drag does) puts the camera in the link
    page.evaluate(
        "Plotly.relayout('plot3d', {'scene.camera': {eye: {x: -1.6, y: 0.4, z: 0.9},"
        " center: {x: 0, y: 0, z: -0.1}, up: {x: 0, y: 0, z: 1}}})"
    )
    page.wait_for_function(
        "location.search.includes('steps=300') && location.search.includes('view=basins')"
        " && location.search.includes('cam=-1.6,0.4,0.9')"
    )
    link = page.url
    labels = page.locator("#hiker-list .name").all_inner_texts()

    again = open_page(link.split("?", 1)[1])
    assert again.input_value("#surface-select") == "rosenbrock"
    assert not again.is_checked("#log-colour")
    assert again.is_checked("#view-basins")
    assert again.input_value("#max-steps") == "300"
    assert again.locator("#hiker-list .name").all_inner_texts() == labels
    assert "Adam γ = 0.05" in labels[-1]
    assert again.input_value("#lr-input") == "0.05"  # the added hiker is the one selected
    assert again.evaluate("document.getElementById('plot3d').data[0].surfacecolor") is None
    camera = again.evaluate("document.getElementById('plot3d')._fullLayout.scene.camera")
    assert camera["eye"] == {"x": -1.6, "y": 0.4, "z": 0.9}
    assert camera["center"] == {"x": 0, "y": 0, "z": -0.1}


def test_the_map_is_to_scale_and_colours_by_log_where_values_span_decades(open_page):
    page = open_page("s=elongated_bowl")
    scale = page.evaluate(
        """() => { const l = document.querySelector('#map .map-back')._fullLayout;
          const per = (a) => a._length / (a.range[1] - a.range[0]);
          return [per(l.xaxis), per(l.yaxis)]; }"""
    )
    assert scale[0] == pytest.approx(scale[1], rel=0.01), "one unit as long across as up"
    box = page.locator("#map .map-front .nsewdrag").bounding_box()
    assert box["width"] / box["height"] == pytest.approx(20 / 8, rel=0.02)
    # the map's click still lands where it points: (5, 0) is three quarters across, half way up
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(
        "Math.abs(Number(document.getElementById('start-x').value) - 5) < 0.1"
        " && Math.abs(Number(document.getElementById('start-y').value)) < 0.1"
    )
    assert not page.is_checked("#log-colour")
    # the 3D view's short y axis gets few ticks, so their labels never collide
    ticks = page.evaluate(
        "document.getElementById('plot3d')._fullLayout.scene._scene.glplot.axes.ticks"
        ".map(axis => axis.map(t => t.text))"
    )
    assert ticks[1] == ["−4", "−2", "0", "2", "4"], ticks  # y: 8 long, half the box
    assert ticks[0] == ["−10", "−5", "0", "5", "10"], ticks
    page.select_option("#surface-select", "rosenbrock")
    page.wait_for_function("document.getElementById('surface-title').textContent === 'Rosenbrock'")
    page.wait_for_function("document.getElementById('log-colour').checked")
    # the 3D view is redrawn after the map (issue 12), in log colours
    page.wait_for_function("document.getElementById('plot3d').data[0].surfacecolor !== undefined")


def test_the_3d_arrow_is_slim_and_points_downhill(open_page, ui):
    page = open_page("s=bowl&h=sgd:lr=0.1")
    page.wait_for_function(
        "window.gradientHiker.view.lastFrame && document.getElementById('plot3d')"
        ".data[window.gradientHiker.view.idx3d.arrows[0]].z.length > 0"
    )
    arrow = page.evaluate(
        "(() => { const v = window.gradientHiker.view;"
        " const t = document.getElementById('plot3d').data[v.idx3d.arrows[0]];"
        " return {type: t.type, mode: t.mode, x: t.x, y: t.y, z: t.z}; })()"
    )
    assert arrow["type"] == "scatter3d" and arrow["mode"] == "lines"  # a line, not a cone
    shaft = [z for z in arrow["z"][: arrow["z"].index(None)]]
    assert all(b < a for a, b in zip(shaft, shaft[1:], strict=False)), "downhill all along"
    # along −∇f: from the start (−4, 3) of x² + y², towards the centre
    dx, dy = arrow["x"][8] - arrow["x"][0], arrow["y"][8] - arrow["y"][0]
    assert math.isclose(math.atan2(dy, dx), math.atan2(-3, 4), abs_tol=0.01)


def test_a_hiker_that_flies_off_never_breaks_the_surface(open_page, ui):
    """Rosenbrock's fan sends one hiker to f ≈ 1e9: nothing drawn leaves the surface's box."""
    page = open_page("s=rosenbrock&h=sgd:lr=0.001&speed=2000")
    page.click("#fan")
    page.wait_for_function("window.gradientHiker.state.hikers.length === 5")
    ui.done(page)
    assert "diverged" in [h["verdict"]["word"] for h in ui.hikers(page)]
    z_range, drawn = page.evaluate(
        """() => { const el = document.getElementById('plot3d');
          const z = el.data.slice(1).flatMap(t => (t.z || []).filter(v => v !== null));
          return [el.layout.scene.zaxis.range, [Math.min(...z), Math.max(...z)]]; }"""
    )
    assert z_range[0] <= drawn[0] and drawn[1] <= z_range[1], (z_range, drawn)
    assert page.evaluate("document.getElementById('plot3d')._fullLayout.scene.zaxis.range") == (
        z_range
    )


# Pixels of a hiker's colour that change when its marker is drawn (the browser decodes both shots).
COUNT_HIKER_PIXELS = """async ([withHiker, without, colour]) => {
  const pixels = async (png) => {
    const image = new Image();
    image.src = 'data:image/png;base64,' + png;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, image.width, image.height).data;
  };
  const [a, b] = [await pixels(withHiker), await pixels(without)];
  const c = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  let count = 0;
  for (let p = 0; p < a.length; p += 4) {
    const changed = Math.abs(a[p] - b[p]) + Math.abs(a[p + 1] - b[p + 1]) + Math.abs(a[p + 2] - b[p + 2]);
    const near = Math.abs(a[p] - c[0]) + Math.abs(a[p + 1] - c[1]) + Math.abs(a[p + 2] - c[2]);
    if (changed >= 30 && near < 60) count++;
  }
  return count;
}"""


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_hiker_is_visible_in_3d_where_it_ends(open_page, ui, name):
    """Each hiker's final marker, drawn alone, changes enough pixels of its own colour.

    The preset's run on every catalogue surface; hikers that flew off are not drawn.
    Trails and arrows are hidden so only the marker counts; one shot per hiker, so a
    hiker is not credited with another's pixels (two that end together overlap).
    """
    page = open_page(f"s={name}", width=1440, height=900)
    run_to_the_end(page, ui)
    view = page.evaluate(
        "(() => { const v = window.gradientHiker.view; const el = document.getElementById('plot3d');"
        " const m = el.data[v.idx3d.markers];"
        " return {idx: v.idx3d, colours: v.hikers.map(h => h.colour), xyz: [m.x, m.y, m.z]}; })()"
    )
    words = [h["verdict"]["word"] for h in ui.hikers(page)]
    idx = view["idx"]
    restyle = "async ([update, traces]) => { await Plotly.restyle('plot3d', update, traces);"
    restyle += " await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); }"
    page.evaluate(restyle, [{"visible": False}, idx["trails"] + idx["arrows"]])

    def shot(shown: set[int]) -> str:
        xyz = [[v if i in shown else None for i, v in enumerate(axis)] for axis in view["xyz"]]
        page.evaluate(restyle, [{"x": [xyz[0]], "y": [xyz[1]], "z": [xyz[2]]}, [idx["markers"]]])
        return base64.b64encode(page.locator("#plot3d").screenshot()).decode()

    without = shot(set())
    for i, word in enumerate(words):
        if word == "diverged":
            continue
        pixels = page.evaluate(COUNT_HIKER_PIXELS, [shot({i}), without, view["colours"][i]])
        assert pixels >= 40, f"{name}: hiker {i + 1} ({word}) shows {pixels} pixels"


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


OVERFLOW = """[...document.querySelectorAll('#equation .formula, .math-panel .formula')]
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.id || el.className)"""


@pytest.mark.parametrize(
    "viewport,hiker",
    [({"width": 1280, "height": 800}, "adam:lr=0.05:amsgrad=1"), (PHONE, "sgd:lr=0.01")],
    ids=["adam-desktop", "gradient-descent-phone"],
)
def test_the_update_rule_never_overflows_its_panel(open_page, viewport, hiker):
    page = open_page(f"s=himmelblau&h={hiker}", **viewport)
    assert page.evaluate(OVERFLOW) == []
    page.click("#step")  # the rule with the first step's numbers is the widest
    page.wait_for_function("window.gradientHiker.shown()[0].step === 1")
    page.wait_for_function(
        "document.querySelector('#equation .eq-title').textContent.endsWith('step 1')"
    )
    assert page.evaluate(OVERFLOW) == []


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


def test_basin_map_click_sends_a_hiker_from_a_rounded_start(open_page, ui):
    page = open_page("s=himmelblau&view=basins&speed=2000&h=sgd:lr=0.01")
    page.wait_for_function("document.querySelectorAll('#basin-legend li').length === 6")
    assert page.locator("#map .map-back .heatmaplayer image").count() == 1
    box = page.locator("#map .map-front .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"])
    ui.done(page)
    assert ui.hikers(page)[0]["verdict"]["word"] == "converged"
    assert readout(page, "minimum")[0].startswith("global")
    # the cell's start, rounded: no 1.98412698413 in the fields or the link
    for field in ("#start-x", "#start-y"):
        assert len(page.input_value(field).split(".")[-1]) <= 2, page.input_value(field)
    page.wait_for_function("location.search.includes('start=')")
    for value in ui.query(page)["start"][0].split(","):
        assert len(value.split(".")[-1]) <= 2, value
    # the map still shows the basins after the animation
    assert page.locator("#map .map-back .heatmaplayer image").count() == 1


def test_the_readout_writes_numbers_one_way(open_page, ui):
    page = open_page("s=bowl&h=sgd:lr=0.1&h=sgd:lr=0.3&tol=1e-9&speed=2000")
    page.click("#run")
    ui.done(page)
    text = page.inner_text("#readout-body")
    assert "e−" in text, text  # tiny numbers in exponent form…
    assert "-" not in text, text  # …with the same minus sign everywhere


def test_export_paths_with_every_hyperparameter(open_page, ui):
    page = open_page("s=bowl&speed=2000&h=sgd:lr=0.1:momentum=0.5&h=adam:lr=0.1:betas=0.8,0.99")
    page.click("#run")
    ui.done(page)
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    paths = page.evaluate("window.gradientHiker.runner.runs.map(r => r.path)")
    assert len(rows) == sum(len(p["x"]) for p in paths)
    for column in (
        "momentum",
        "dampening",
        "nesterov",
        "beta1",
        "beta2",
        "amsgrad",
        "eps",
        "verdict",
    ):
        assert column in rows[0], column
    first, adam = rows[0], rows[len(paths[0]["x"])]
    assert first["step"] == "0" and first["optimizer"] == "sgd" and first["momentum"] == "0.5"
    assert first["beta1"] == ""  # gradient descent has no betas
    assert adam["optimizer"] == "adam" and (adam["beta1"], adam["beta2"]) == ("0.8", "0.99")
    assert adam["momentum"] == ""
    assert float(rows[-1]["x"]) == paths[1]["x"][-1]
    with page.expect_download() as download:
        page.click("#export-json")
    lesson = json.loads(Path(download.value.path()).read_text())
    assert lesson["surface"] == "bowl" and lesson["runs"][0]["verdict"] == "converged"
    for button in ("#png-3d", "#png-map"):
        with page.expect_download() as download:
            page.click(button)
        assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hiker_names_are_never_cut_short(open_page):
    page = open_page("s=saddle")  # preset hikers with notes: "… — Just off the ridge"
    names = page.locator("#hiker-list .name")
    assert "Just off the ridge" in names.nth(1).inner_text()
    assert page.evaluate(
        "[...document.querySelectorAll('#hiker-list .name')]"
        ".every(el => el.scrollWidth <= el.clientWidth + 1)"
    )


def test_desktop_layout_puts_the_controls_beside_the_plots(open_page, ui):
    page = open_page("s=himmelblau", width=1440, height=900)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    map_box = page.locator("#map").bounding_box()
    assert page.locator(".controls").bounding_box()["x"] >= map_box["x"] + map_box["width"]
    assert page.locator("#run").bounding_box()["y"] < 900
    assert not page.locator("#settings-toggle").is_visible()
    run_to_the_end(page, ui)  # the lesson's fan: crawling, converged, oscillating, diverged
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    shoot(page, "desktop")


def test_phone_layout_keeps_run_and_settings_within_reach(open_page, ui):
    page = open_page("s=himmelblau", **PHONE)
    width, height = PHONE["width"], PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # Plotly's toolbar would cover the small plots' titles
    assert page.evaluate(
        "[...document.querySelectorAll('.modebar-container')]"
        ".every(el => getComputedStyle(el).display === 'none')"
    )
    run_to_the_end(page, ui)
    # the readout fits: each hiker a card, its verdict on screen when scrolled to
    table = page.locator("#readout")
    assert table.bounding_box()["width"] <= width
    verdict = page.locator("#readout-body td[data-col='verdict']").first
    verdict.scroll_into_view_if_needed()
    box = verdict.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # the run bar stays at the top while the page scrolls
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    run = page.locator("#run").bounding_box()
    assert 0 <= run["y"] and run["y"] + run["height"] <= height
    # the settings open as a sheet over the lower screen, the plots in view above it
    page.click("#settings-toggle")
    sheet = page.locator("#controls")
    page.wait_for_function(
        "document.getElementById('controls').getBoundingClientRect().bottom"
        f" <= {height} + 1 && getComputedStyle(document.getElementById('controls'))"
        ".visibility === 'visible'"
    )
    top = sheet.bounding_box()["y"]
    assert height * 0.3 < top < height * 0.5
    assert page.locator("#surface-select").bounding_box()["y"] < height
    lr = page.locator("#lr-slider")
    lr.scroll_into_view_if_needed()
    lr_box = lr.bounding_box()
    assert top <= lr_box["y"] and lr_box["y"] + lr_box["height"] <= height
    bar = page.locator(".transport").bounding_box()
    plot = page.locator("#plot3d").bounding_box()
    assert bar["y"] + bar["height"] <= plot["y"] < top, "the 3D view is on screen above the sheet"
    shoot(page, "phone-settings")
    page.click("#settings-close")
    page.wait_for_function(
        "getComputedStyle(document.getElementById('controls')).visibility === 'hidden'"
    )
    shoot(page, "phone")


def shoot(page, name: str) -> None:
    """GH_SCREENSHOTS=docs/screenshots refreshes the README's pictures."""
    shots = os.environ.get("GH_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"surface-explorer-{name}.png"))
