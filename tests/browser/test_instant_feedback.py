"""Instant feedback on the surface explorer (issue 11), in a real browser: the ghost
path while the learning rate is dragged, the scrubber, the 1/L and 2/L marks, the
optimizer's state on the map and the stability map.

Every test waits on the page's own state (the ghost's draw count, data-run, the URL),
never on the clock; the `open_page` fixture fails a test on any console error (an
aborted request included), uncaught exception or request to another host.
"""

from __future__ import annotations

import json
import math

GHOST = "window.gradientHiker.feedback.ghost"
RUNNER = "window.gradientHiker.runner"
SLIDER_MIN, SLIDER_MAX, THUMB = -5, 1, 16  # #lr-slider is log10(γ); the thumb is 16 px wide
LR_BOX = "Number(document.getElementById('lr-input').value)"  # γ as the slider shows it, while dragged too


def ghost(page) -> dict:
    return page.evaluate(GHOST)


def wait_ghost(page, condition: str) -> dict:
    """Wait until the ghost on the map satisfies `condition` (JS over `g`), then return it."""
    page.wait_for_function(f"(() => {{ const g = {GHOST}; return g.seq > 0 && ({condition}); }})()")
    return ghost(page)


def ghost_trace(page) -> dict:
    """The ghost as drawn on the map's overlay layer."""
    return page.evaluate(
        "(() => { const t = document.querySelector('#map .map-overlay').data[0];"
        " return {x: [...t.x], y: [...t.y]}; })()"
    )


def slide_lr_to(page, lr: float) -> None:
    """Move the learning-rate slider as a drag does: `input` events, no `change` yet."""
    page.evaluate(
        """(v) => { const s = document.getElementById('lr-slider'); s.value = String(v);
                    s.dispatchEvent(new Event('input', {bubbles: true})); }""",
        math.log10(lr),
    )


def thumb_x(page, lr: float) -> float:
    """Where the slider's thumb centre is for `lr` (page pixels)."""
    box = page.locator("#lr-slider").bounding_box()
    at = (math.log10(lr) - SLIDER_MIN) / (SLIDER_MAX - SLIDER_MIN)
    return box["x"] + THUMB / 2 + at * (box["width"] - THUMB)


def run_to_the_end(page, ui) -> None:
    page.evaluate(f"{RUNNER}.speed = 1e6")
    page.click("#run")
    ui.done(page)


def scrub_to(page, k: int) -> None:
    """The scrubber moved with the keyboard: Home, then → k times (native range input events)."""
    page.focus("#scrub")
    page.keyboard.press("Home")
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"window.gradientHiker.shown().every(h => h.step === {k})")


def wait_markers_at(page, k: int) -> None:
    """Wait until every hiker's marker on the map sits on point k of its path."""
    page.wait_for_function(
        """(k) => { const t = document.querySelector('#map .map-front').data
                      .find(t => t.name === 'hikers');
                    return window.gradientHiker.runner.runs.every((r, i) =>
                      t.x[i] === r.path.x[k] && t.y[i] === r.path.y[k]); }""",
        arg=k,
    )


def path_point(page, hiker: int, k: int) -> list[float]:
    return page.evaluate(
        f"(() => {{ const p = {RUNNER}.runs[{hiker}].path; return [p.x[{k}], p.y[{k}]]; }})()"
    )


def test_dragging_the_learning_rate_redraws_the_ghost_without_a_run(open_page):
    page = open_page("s=elongated_bowl&h=sgd:lr=0.45&steps=1000&tol=0.000001")
    first = wait_ghost(page, "g.lr === 0.45")
    # γ = 0.45 converges on the bowl; the whole path is drawn, one point per step
    assert first["verdict"] == "converged"
    assert first["points"] == first["steps"] + 1 == len(ghost_trace(page)["x"])
    assert "converges" in page.inner_text("#ghost-status")

    # a real drag with the mouse: down on the thumb, move left, and hold
    page.locator("#lr-slider").scroll_into_view_if_needed()
    box = page.locator("#lr-slider").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(thumb_x(page, 0.45), y)
    page.mouse.down()
    page.mouse.move(thumb_x(page, 0.05), y, steps=8)
    # each step of the drag may draw a ghost (γ = 0.087, 0.066, … on the way): wait for the
    # one of the rate the thumb rests at, which the box beside the slider shows; the last to come
    dragged = wait_ghost(page, f"g.lr < 0.1 && g.lr === {LR_BOX}")
    # the path bent while the button is still held: no run, the hiker's own γ unchanged
    assert dragged["points"] != first["points"]
    assert dragged["points"] == len(ghost_trace(page)["x"])
    assert page.evaluate(f"{RUNNER}.state") == "idle"
    assert page.evaluate("window.gradientHiker.state.hikers[0].params.lr") == 0.45
    page.mouse.up()
    # let go: the hiker takes the rate, and the ghost already shows its path
    page.wait_for_function("window.gradientHiker.state.hikers[0].params.lr < 0.1")
    lr = page.evaluate("window.gradientHiker.state.hikers[0].params.lr")
    assert lr == dragged["lr"]
    assert wait_ghost(page, f"g.lr === {lr}")["points"] == len(ghost_trace(page)["x"])
    assert page.evaluate(f"{RUNNER}.state") == "idle"
    # the 3D view draws the same path (later, and thinned to 1,000 points: WebGL is slow here)
    drawn = ghost_trace(page)
    page.wait_for_function(
        """([x0, x1]) => { const t = document.getElementById('plot3d').data
                             .find(t => t.uid === 'ghost-path');
                           return t && t.x[0] === x0 && t.x[t.x.length - 1] === x1; }""",
        arg=[drawn["x"][0], drawn["x"][-1]],
    )


def test_dragging_on_the_map_previews_a_start_and_dropping_sets_it(open_page):
    page = open_page("s=himmelblau&h=sgd:lr=0.01")
    wait_ghost(page, "g.start[0] === -0.5 && g.start[1] === -0.5")  # the lesson's start
    box = page.locator("#map .map-front .nsewdrag").bounding_box()
    # (−3, 3) is a fifth of the way across and a fifth down; (3, 2) four fifths across, 0.3 down
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"], steps=6)
    held = wait_ghost(page, "g.start[0] === 3 && g.start[1] === 2")
    assert held["verdict"] == "converged"
    assert page.evaluate("window.gradientHiker.state.start") is None  # not set while held
    page.mouse.up()
    page.wait_for_function("new URLSearchParams(location.search).get('start') === '3,2'")
    assert page.input_value("#start-x") == "3" and page.input_value("#start-y") == "2"


def test_a_superseded_ghost_request_is_aborted_silently(open_page):
    page = open_page("s=elongated_bowl&h=sgd:lr=0.3")
    before = wait_ghost(page, "g.lr === 0.3")["requests"]
    # right after a ghost is drawn, two quick changes: the first one's request is dropped
    page.evaluate(
        """async () => {
             const f = window.gradientHiker.feedback;
             const s = document.getElementById('lr-slider');
             const slide = (lr) => { s.value = String(Math.log10(lr));
                                     s.dispatchEvent(new Event('input', {bubbles: true})); };
             const seq = f.ghost.seq;
             slide(0.2);
             while (f.ghost.seq === seq) await new Promise((resolve) => setTimeout(resolve));
             slide(0.1);
             slide(0.05);
           }"""
    )
    after = wait_ghost(page, "g.lr === 0.05")["requests"]
    # three requests (γ = 0.2, 0.1, 0.05), the one for 0.1 aborted and never drawn; the
    # page logged no error for it (the fixture checks)
    assert after["sent"] - before["sent"] == 3
    assert after["aborted"] - before["aborted"] == 1


def test_the_marks_sit_where_the_ghost_starts_to_zigzag_and_to_diverge(open_page):
    # the elongated bowl 0.1x² + 2y²: λ = 0.2 and 4, so L = 4, 1/L = 0.25, 2/L = 0.5
    page = open_page("s=elongated_bowl&h=sgd:lr=0.1&steps=1000&tol=0.000001")
    page.wait_for_function("window.gradientHiker.feedback.marks().length === 2")
    marks = {m["name"]: m["lr"] for m in page.evaluate("window.gradientHiker.feedback.marks()")}
    assert math.isclose(marks["1/L"], 0.25) and math.isclose(marks["2/L"], 0.5)
    assert "L = 4" in page.inner_text("#curvature-note")
    assert "κ = 20" in page.inner_text("#curvature-note")
    # each mark's tick sits under the slider's thumb at its learning rate
    for name, lr in marks.items():
        mark = page.locator(f".lr-mark[data-mark='{name}']")
        box = mark.bounding_box()
        side = mark.get_attribute("class")
        tick = box["x"] + box["width"] if "leftward" in side else box["x"]
        assert abs(tick - thumb_x(page, lr)) < 2.5, name

    # just below 2/L the ghost converges (zig-zagging); just above, it flies off
    slide_lr_to(page, 0.48)
    assert wait_ghost(page, "g.lr === 0.48")["verdict"] == "converged"
    slide_lr_to(page, 0.52)
    assert wait_ghost(page, "g.lr === 0.52")["verdict"] == "diverged"
    assert "diverges" in page.inner_text("#ghost-status")

    # 1/L: below it y keeps its sign (3 (1 − 4γ)^k), above it y flips every step
    def sign_flips(lr):
        slide_lr_to(page, lr)
        wait_ghost(page, f"g.lr === {lr}")
        ys = ghost_trace(page)["y"][:20]
        return sum(1 for a, b in zip(ys, ys[1:], strict=False) if a * b < 0)

    assert sign_flips(0.24) == 0
    assert sign_flips(0.26) == 19


def test_the_scrubber_moves_every_hiker_back_and_the_link_keeps_the_step(open_page, ui):
    page = open_page("s=elongated_bowl&h=sgd:lr=0.2:momentum=0.7&h=adam:lr=0.3:c=ff8c00")
    run_to_the_end(page, ui)
    scrub_to(page, 12)
    assert page.evaluate(f"{RUNNER}.state") == "paused"
    wait_markers_at(page, 12)
    # ← steps back (from anywhere but a slider), as → steps forward
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("window.gradientHiker.shown().every(h => h.step === 11)")
    wait_markers_at(page, 11)
    assert page.locator("#readout-body [data-col='step']").all_inner_texts() == ["11", "11"]
    assert page.inner_text("#equation [data-eq-title]").endswith("step 11")
    assert page.inner_text("#scrub-out").startswith("11 of ")
    page.wait_for_function("new URLSearchParams(location.search).get('step') === '11'")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("new URLSearchParams(location.search).get('step') === '12'")

    # the link restores the step: the page runs the lesson paused and shows step 12
    page.reload()
    page.wait_for_selector("#explorer[data-ready='1'][data-run='paused']")
    page.wait_for_function("window.gradientHiker.shown().every(h => h.step === 12)")
    wait_markers_at(page, 12)
    assert ui.query(page)["step"] == ["12"]
    # Run plays on from there; a reset takes the step out of the link
    page.click("#reset")
    page.wait_for_selector("#explorer[data-run='idle']")
    page.wait_for_function("!new URLSearchParams(location.search).has('step')")


def test_the_optimizers_state_is_drawn_for_momentum_and_adam(open_page, ui):
    page = open_page(
        "s=elongated_bowl&h=sgd:lr=0.2:momentum=0.7&h=adam:lr=0.3:c=ff8c00&h=sgd:lr=0.1"
    )
    overlay = (
        "(() => { const d = document.querySelector('#map .map-overlay').data;"
        " const t = (name) => d.find(t => t.name === name);"
        " return {velocity: [...t('velocity').x].map((x, i) => [x, t('velocity').y[i]]),"
        "         box: {x: [...t('step scale').x], y: [...t('step scale').y]}}; })()"
    )
    # before a run the legend says how to see the state
    assert "Step or scrub" in page.inner_text("#state-legend")
    run_to_the_end(page, ui)
    scrub_to(page, 10)

    # momentum: the velocity arrow starts at the hiker; no step-scale box
    at = path_point(page, 0, 10)
    page.wait_for_function(
        f"JSON.stringify({overlay}.velocity[0]) === '{json.dumps(at, separators=(',', ':'))}'"
    )
    marks = page.evaluate(overlay)
    assert marks["velocity"][1] != marks["velocity"][0]
    assert marks["box"]["x"] == []
    assert page.locator("#state-legend [data-mark='velocity']").is_visible()
    assert page.locator("#state-legend [data-mark='scale']").count() == 0

    # Adam: a box around the hiker, wider along the shallow x than across the steep y
    page.check("#hiker-select-1")
    page.wait_for_function(f"{overlay}.box.x.length === 5")
    marks = page.evaluate(overlay)
    x, y = path_point(page, 1, 10)
    xs, ys = marks["box"]["x"], marks["box"]["y"]
    assert min(xs) < x < max(xs) and min(ys) < y < max(ys)
    assert math.isclose((min(xs) + max(xs)) / 2, x) and math.isclose((min(ys) + max(ys)) / 2, y)
    assert max(xs) - min(xs) > max(ys) - min(ys)
    assert page.locator("#state-legend [data-mark='scale']").is_visible()
    assert "longer along x" in page.inner_text("#state-legend")

    # plain gradient descent has no hidden state: no marks, no legend
    page.check("#hiker-select-2")
    page.wait_for_function(f"{overlay}.velocity.length === 0 && {overlay}.box.x.length === 0")
    assert page.locator("#state-legend").is_hidden()


def test_a_stability_cell_click_sets_the_hiker_and_runs_it(open_page, ui):
    page = open_page("s=elongated_bowl&h=sgd:lr=0.1&steps=500")
    page.wait_for_function("Number(document.getElementById('stab-lr-max').value) === 1")  # 4/L
    page.select_option("#stab-count", "16")
    page.click("#stab-compute")
    page.wait_for_function(
        "document.getElementById('stab-status').textContent.includes('Click a cell')"
    )
    grid = page.evaluate("window.gradientHiker.feedback.stability")
    assert len(grid["x"]) == len(grid["y"]) == 16 and len(grid["verdict"]) == 16
    # the dashed theory edge is drawn and named
    assert page.locator("#stab-theory-key").is_visible()

    i, j = 9, 11  # momentum 0.57, γ ≈ 0.27: inside the stable region
    where = page.evaluate(
        """([i, j]) => { const gd = document.getElementById('stability-plot');
             const f = gd._fullLayout, r = gd.getBoundingClientRect();
             const m = window.gradientHiker.feedback.stability;
             return [r.left + f._size.l + f.xaxis.l2p(Math.log10(m.x[j])),
                     r.top + f._size.t + f.yaxis.l2p(m.y[i])]; }""",
        [i, j],
    )
    page.mouse.click(*where)
    page.wait_for_function(f"window.gradientHiker.state.hikers[0].params.lr === {grid['x'][j]}")
    params = page.evaluate("window.gradientHiker.state.hikers[0].params")
    assert params == {"lr": grid["x"][j], "momentum": grid["y"][i]}
    # the editor shows them, and the hiker runs to the verdict the map gave the cell
    assert math.isclose(float(page.input_value("#hp-momentum")), grid["y"][i])
    page.evaluate(f"{RUNNER}.speed = 1e6")
    ui.done(page)
    assert grid["verdict"][i][j] == "converged"
    page.wait_for_selector("#readout-body td[data-col='verdict'][data-verdict='converged']")
