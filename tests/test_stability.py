"""POST /api/stability: a grid of two hyperparameters, one run per cell, as one batch.

Sections: the map's shape and axes; every cell agrees with a single descent (every
hyperparameter name, beta1 and beta2 included); theory on a quadratic (heavy-ball
momentum converges exactly when 0 < γλ < 2(1 + μ), plain gradient descent below
2/L); the machinery (verdicts without paths, ended hikers dropped); bounds and bad
input.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from app import limits, optim, stability, verdicts
from app.descent import Descent
from app.surfaces import CATALOGUE, from_catalogue
from tests.conftest import strict_json

BOWL = "elongated_bowl"  # 0.1x² + 2y²
START = [-9, 3]


def stability_map(client, **changes):
    body = {
        "surface": BOWL,
        "start": START,
        "optimizer": {"optimizer": "sgd"},
        "x": {"name": "lr", "min": 0.01, "max": 1.2, "count": 8, "scale": "log"},
        "y": {"name": "momentum", "min": 0, "max": 0.95, "count": 4, "scale": "linear"},
        "max_steps": 500,
        "tolerance": 1e-6,
        **changes,
    }
    response = client.post("/api/stability", json=body)
    assert response.status_code == 200, response.text
    return strict_json(response.text)  # refuses NaN and Infinity


def single_run(client, surface, optimizer, start, max_steps, tolerance):
    """The one run POST /api/descent makes with these values."""
    body = {
        "surface": surface,
        "runs": [{**optimizer, "start": start}],
        "max_steps": max_steps,
        "tolerance": tolerance,
    }
    response = client.post("/api/descent", json=body)
    assert response.status_code == 200, response.text
    return response.json()["runs"][0]


def cell_spec(fixed: dict, names: tuple[str, str], values: tuple[float, float]) -> dict:
    """The optimizer spec of one cell, as a client of /api/descent writes it."""
    spec = dict(fixed)
    for name, value in zip(names, values, strict=True):
        if name in ("beta1", "beta2"):
            betas = list(
                spec.get(
                    "betas", optim.OPTIMIZERS[spec["optimizer"]].hyperparameters["betas"].default
                )
            )
            betas[name == "beta2"] = value
            spec["betas"] = betas
        else:
            spec[name] = value
    return spec


# --- The map: shape, axes, rows are y ------------------------------------------------


def test_shape_axes_and_rows_are_y(client):
    result = stability_map(client)
    assert set(result) == {"x", "y", "verdict", "steps", "final_z"}
    # x: 8 values evenly spaced on a log scale, both ends included.
    assert len(result["x"]) == 8
    assert result["x"][0] == 0.01 and result["x"][-1] == 1.2
    ratios = np.diff(np.log(result["x"]))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-12)
    # y: 4 values evenly spaced on a linear scale.
    np.testing.assert_allclose(result["y"], np.linspace(0, 0.95, 4), rtol=0, atol=1e-15)
    assert result["y"][0] == 0 and result["y"][-1] == 0.95
    for key in ("verdict", "steps", "final_z"):
        assert len(result[key]) == 4 and all(len(row) == 8 for row in result[key]), key
    assert {v for row in result["verdict"] for v in row} <= set(verdicts.VERDICTS)
    assert all(isinstance(s, int) and 0 <= s <= 500 for row in result["steps"] for s in row)
    # Rows are y: the biggest learning rate flies off whatever the momentum (the last
    # column), and the heaviest momentum (the last row) has not settled in 500 steps.
    assert [row[-1] for row in result["verdict"]] == ["diverged"] * 4
    assert set(result["verdict"][-1][:-1]) == {"oscillating"}
    assert result["verdict"][0][:4] == ["crawling"] * 4  # small steps, no momentum


def test_a_linear_axis_may_start_at_zero_and_a_log_axis_spans_decades(client):
    result = stability_map(
        client,
        x={"name": "lr", "min": 1e-4, "max": 1, "count": 5, "scale": "log"},
        y={"name": "momentum", "min": 0, "max": 0.5, "count": 2},  # linear by default
    )
    np.testing.assert_allclose(result["x"], [1e-4, 1e-3, 1e-2, 1e-1, 1], rtol=1e-12)
    assert result["y"] == [0, 0.5]


# --- Every cell is the run a single descent makes -------------------------------------


def test_cells_agree_with_single_descents(client):
    result = stability_map(client)
    seen = set()
    # Cells of every kind: crawling, converged, diverged, oscillating, and momentum 0
    # (a branch of its own: SGD without a momentum buffer).
    for i, j in [(0, 0), (0, 5), (0, 7), (1, 4), (2, 3), (2, 6), (3, 2), (3, 7)]:
        spec = cell_spec({"optimizer": "sgd"}, ("lr", "momentum"), (result["x"][j], result["y"][i]))
        run = single_run(client, BOWL, spec, START, 500, 1e-6)
        assert result["verdict"][i][j] == run["verdict"], (i, j)
        assert result["steps"][i][j] == run["steps"], (i, j)
        assert result["final_z"][i][j] == pytest.approx(run["final"]["z"], rel=1e-9, abs=1e-300)
        seen.add(run["verdict"])
    assert seen == {"crawling", "converged", "diverged", "oscillating"}


# Every name a map can vary, each with a range where it visibly changes the run.
EVERY_NAME = [
    ("sgd", {"momentum": 0.9}, ("lr", 1e-4, 1e-3), ("dampening", 0, 0.9)),
    ("sgd", {"lr": 0.0005}, ("momentum", 0.1, 0.9), ("weight_decay", 0, 1)),
    ("adagrad", {"lr": 0.5}, ("lr_decay", 0, 1), ("initial_accumulator_value", 0, 10)),
    ("adagrad", {}, ("eps", 1e-10, 1), ("lr", 0.1, 1)),
    ("rmsprop", {"lr": 0.05}, ("alpha", 0.5, 0.99), ("eps", 1e-8, 1)),
    ("rmsprop", {"lr": 0.01}, ("momentum", 0.1, 0.9), ("weight_decay", 0, 1)),
    ("adam", {"lr": 0.1, "betas": [0.8, 0.95]}, ("beta1", 0, 0.9), ("beta2", 0.5, 0.999)),
    ("adam", {"eps": 0.1}, ("lr", 0.01, 0.5), ("weight_decay", 0, 1)),
    ("adamw", {"lr": 0.1, "betas": [0.8, 0.95]}, ("beta2", 0.5, 0.99), ("eps", 1e-8, 1)),
    ("adamw", {"betas": [0.8, 0.95]}, ("weight_decay", 0, 1), ("beta1", 0.1, 0.9)),
]


def test_every_numeric_hyperparameter_is_a_name():
    named = {name for optimizer, _, x, y in EVERY_NAME for name in (x[0], y[0])}
    every = {name for optimizer in optim.OPTIMIZERS for name in stability.axis_names(optimizer)}
    assert named == every
    assert stability.axis_names("adam") == ["lr", "beta1", "beta2", "eps", "weight_decay"]


@pytest.mark.parametrize(("optimizer", "fixed", "x", "y"), EVERY_NAME)
def test_every_name_sets_its_hyperparameter_in_every_cell(client, optimizer, fixed, x, y):
    spec = {"optimizer": optimizer, **fixed}
    axes = {}
    for label, (name, low, high) in (("x", x), ("y", y)):
        axes[label] = {"name": name, "min": low, "max": high, "count": 2}
    result = stability_map(
        client, surface="rosenbrock", start=[-1.2, 1], optimizer=spec, max_steps=40, **axes
    )
    z = np.array(result["final_z"])
    # Each axis changes where the run ends (so each name reached its hyperparameter) ...
    assert z[0, 0] != z[0, 1] and z[0, 0] != z[1, 0]
    # ... and every cell ends where a single descent with its values ends.
    for i in range(2):
        for j in range(2):
            values = (result["x"][j], result["y"][i])
            run = single_run(
                client, "rosenbrock", cell_spec(spec, (x[0], y[0]), values), [-1.2, 1], 40, 1e-6
            )
            assert result["verdict"][i][j] == run["verdict"]
            assert result["steps"][i][j] == run["steps"]
            assert z[i, j] == pytest.approx(run["final"]["z"], rel=1e-9)


def test_the_axes_replace_the_optimizers_values_and_keep_the_other_beta(client):
    fixed = {"optimizer": "adam", "lr": 123.0, "betas": [0.5, 0.9]}
    x = {"name": "lr", "min": 0.01, "max": 0.1, "count": 2}
    y = {"name": "beta1", "min": 0.1, "max": 0.8, "count": 2}
    result = stability_map(
        client, surface="himmelblau", start=[-1, 4], optimizer=fixed, x=x, y=y, max_steps=30
    )
    run = single_run(
        client,
        "himmelblau",
        {"optimizer": "adam", "lr": 0.1, "betas": [0.8, 0.9]},
        [-1, 4],
        30,
        1e-6,
    )
    assert result["final_z"][1][1] == pytest.approx(run["final"]["z"], rel=1e-9)


# --- Theory on a quadratic ------------------------------------------------------------


def bowl_eigenvalues() -> list[float]:
    """The elongated bowl's Hessian eigenvalues, read from its catalogue formula."""
    x, y = sympy.symbols("x y")
    f = sympy.sympify(CATALOGUE[BOWL].formula)
    hessian = sympy.hessian(f, (x, y))
    assert hessian.free_symbols == set()  # a quadratic: the same everywhere
    return sorted(float(v) for v in hessian.eigenvals())


def test_the_bowls_curvature_is_the_formulas(client):
    assert bowl_eigenvalues() == pytest.approx([0.2, 4])
    response = client.post("/api/curvature", json={"surface": BOWL, "points": [START]})
    assert response.json()["eigenvalues"][0] == pytest.approx(bowl_eigenvalues(), rel=1e-12)


MARGIN = 0.05  # cells within 5% of the theory's boundary are not judged


def test_heavy_ball_momentum_converges_exactly_when_lr_lambda_is_below_2_1_plus_mu(client):
    """torch's SGD with momentum μ (dampening 0) on a quadratic converges exactly when
    0 < γλ < 2(1 + μ) for every Hessian eigenvalue λ: inside, every cell converges given
    enough steps; outside, every cell diverges."""
    largest = max(bowl_eigenvalues())
    result = stability_map(
        client,
        x={"name": "lr", "min": 0.1, "max": 1.1, "count": 21},
        y={"name": "momentum", "min": 0, "max": 0.9, "count": 10},
        max_steps=3000,
    )
    inside = outside = 0
    for i, momentum in enumerate(result["y"]):
        for j, lr in enumerate(result["x"]):
            ratio = lr * largest / (2 * (1 + momentum))  # below 1: stable
            verdict = result["verdict"][i][j]
            if ratio < 1 - MARGIN:
                assert verdict == "converged", (lr, momentum, verdict)
                inside += 1
            elif ratio > 1 + MARGIN:
                assert verdict == "diverged", (lr, momentum, verdict)
                outside += 1
    assert inside >= 60 and outside >= 60  # both sides of the boundary are well covered


def test_gradient_descent_converges_exactly_below_2_over_l(client):
    """Without momentum the boundary is 2/L. Weight decay ω adds ωI to the Hessian
    (the minimum stays at 0), so along the y axis L = 4 + ω and the boundary moves."""
    largest = max(bowl_eigenvalues())
    result = stability_map(
        client,
        x={"name": "lr", "min": 0.1, "max": 1, "count": 19},
        y={"name": "weight_decay", "min": 0, "max": 2, "count": 5},
        max_steps=3000,
    )
    inside = outside = 0
    for i, decay in enumerate(result["y"]):
        for j, lr in enumerate(result["x"]):
            ratio = lr / (2 / (largest + decay))
            verdict = result["verdict"][i][j]
            if ratio < 1 - MARGIN:
                assert verdict == "converged", (lr, decay, verdict)
                inside += 1
            elif ratio > 1 + MARGIN:
                assert verdict == "diverged", (lr, decay, verdict)
                outside += 1
    assert inside >= 20 and outside >= 40
    # The momentum-0 row of a momentum map says the same: 2/L = 0.5.
    row = stability_map(client, x={"name": "lr", "min": 0.4, "max": 0.6, "count": 5})["verdict"][0]
    assert row[0] != "diverged" and row[-1] == "diverged"


# --- The machinery: verdicts without paths, ended hikers dropped -----------------------


@settings(max_examples=15, deadline=None)
@given(
    first=st.integers(1, 40),
    chunk=st.integers(1, 100),
    max_steps=st.integers(1, 300),
    tolerance=st.sampled_from([0.0, 1e-6, 1e-2]),
)
def test_judging_without_paths_gives_the_recorded_verdicts(first, chunk, max_steps, tolerance):
    """A descent that keeps only each live hiker's last points (and drops hikers as
    they end) judges every run as one that records whole paths."""
    surface = from_catalogue(BOWL)
    rng = np.random.default_rng(max_steps)
    cells = [
        optim.resolve("sgd", {"lr": float(lr), "momentum": float(mu)})
        for lr, mu in zip(rng.uniform(0.01, 1.1, 80), rng.uniform(0.05, 0.95, 80), strict=True)
    ]
    starts = np.tile(START, (len(cells), 1)).astype(float)

    def judged(record: bool) -> Descent:
        descent = Descent(surface, starts, [("sgd", h) for h in cells], max_steps, tolerance)
        chunking = {"first_chunk_steps": first, "max_chunk_steps": chunk, "chunk_seconds": 1e9}
        for _ in descent.chunks(record=record, judge=True, **chunking):
            pass
        return descent

    recorded, judged_only = judged(record=True), judged(record=False)
    assert judged_only.verdict.tolist() == recorded.verdict.tolist()
    assert None not in recorded.verdict.tolist()
    np.testing.assert_array_equal(judged_only.steps, recorded.steps)
    np.testing.assert_array_equal(judged_only.final, recorded.final)
    np.testing.assert_array_equal(judged_only.hessian_eigenvalues, recorded.hessian_eigenvalues)


def test_one_batch_per_branch_and_ended_hikers_are_dropped():
    surface = from_catalogue(BOWL)
    x = stability.Axis("x", "lr", stability.axis_values(0.01, 1.5, 16, "log"))
    y = stability.Axis("y", "momentum", stability.axis_values(0, 0.9, 8, "linear"))
    runs = stability.StabilityRuns(surface, START, "sgd", {}, x, y, 1000, 1e-6)
    # Momentum 0 is a branch of its own (no momentum buffer): two batches, not 128 runs.
    assert [len(indices) for indices, _ in runs.descents] == [16, 112]
    for _ in runs.chunks():
        pass
    result = runs.map()
    assert result.verdict.shape == (8, 16) and None not in result.verdict.ravel().tolist()
    # Most hikers ended early (converged or flew off): they were dropped as they ended.
    _, momentum_batch = runs.descents[1]
    assert momentum_batch.positions.shape[1] < 112 // 2
    assert np.array_equal(
        stability.stability_map(surface, START, "sgd", {}, x, y, 1000, 1e-6).steps, result.steps
    )


def test_diverging_cells_keep_the_response_strict_json(client):
    # sqrt(x) is not real left of 0: hikers that overshoot there diverge, as do those
    # with too large a step; the body must still be strict JSON, every final_z a number.
    surface = {"formula": "sqrt(x + 1) + y**2", "x_range": [-1, 3], "y_range": [-2, 2]}
    result = stability_map(
        client,
        surface=surface,
        start=[2, 1],
        x={"name": "lr", "min": 0.01, "max": 100, "count": 6, "scale": "log"},
        y={"name": "momentum", "min": 0, "max": 0.9, "count": 3},
    )
    flat = [v for row in result["verdict"] for v in row]
    assert "diverged" in flat and len(set(flat)) > 1
    assert all(isinstance(z, float | int) for row in result["final_z"] for z in row)


def test_the_openapi_example_runs(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/stability"]["post"]["requestBody"]["content"]["application/json"]
    example = next(iter(body["examples"].values()))["value"]
    assert client.post("/api/stability", json=example).status_code == 200


# --- Bounds and bad input ---------------------------------------------------------------

AXIS = {"name": "lr", "min": 0.01, "max": 1, "count": 4}
MOMENTUM = {"name": "momentum", "min": 0, "max": 0.9, "count": 4}
BAD = [
    # Bounds of app/limits.py
    ({"x": {**AXIS, "count": 1}}, ["body", "x", "count"], "greater than or equal to 2"),
    ({"x": {**AXIS, "count": 129}}, ["body", "x", "count"], "less than or equal to 128"),
    ({"max_steps": 0}, ["body", "max_steps"], "greater than or equal to 1"),
    ({"max_steps": 10_001}, ["body", "max_steps"], "less than or equal to 10000"),
    (
        {"x": {**AXIS, "count": 128}, "y": {**MOMENTUM, "count": 128}, "max_steps": 1300},
        ["body", "max_steps"],
        "at most 20,000,000",
    ),
    ({"tolerance": -1}, ["body", "tolerance"], "greater than or equal to 0"),
    # Axes
    ({"x": {**AXIS, "scale": "cubic"}}, ["body", "x", "scale"], "'linear' or 'log'"),
    ({"x": {**AXIS, "min": 0, "scale": "log"}}, ["body", "x", "min"], "min > 0"),
    ({"x": {**AXIS, "min": 1, "max": 1}}, ["body", "x", "max"], "min < max"),
    ({"x": {**AXIS, "max": float("inf")}}, ["body", "x", "max"], "finite"),
    ({"x": {**AXIS, "count": "4"}}, ["body", "x", "count"], "valid integer"),
    ({"x": {**AXIS, "min": True}}, ["body", "x", "min"], "valid number"),
    ({"x": {**AXIS, "steps": 4}}, ["body", "x", "steps"], "Extra inputs"),
    ({"x": {"min": 0.1, "max": 1}}, ["body", "x", "name"], "Field required"),
    # Names
    ({"x": {**AXIS, "name": "lrr"}}, ["body", "x", "name"], "no numeric hyperparameter 'lrr'"),
    ({"x": {**AXIS, "name": "nesterov"}}, ["body", "x", "name"], "choose one of lr, momentum"),
    ({"x": {**AXIS, "name": "beta1"}}, ["body", "x", "name"], "sgd has no numeric hyperparameter"),
    (
        {"optimizer": {"optimizer": "adam"}, "y": {**MOMENTUM, "name": "betas", "max": 0.5}},
        ["body", "y", "name"],
        "choose one of lr, beta1, beta2, eps, weight_decay",
    ),
    ({"y": {**AXIS, "count": 3}}, ["body", "y", "name"], "both vary lr"),
    # Values torch would refuse in some cell
    ({"x": {**AXIS, "min": -0.1}}, ["body", "x", "min"], "Invalid lr"),
    ({"x": {**AXIS, "max": 2e6}}, ["body", "x", "max"], "maximum"),
    ({"y": {**MOMENTUM, "max": 1.5}}, ["body", "y", "max"], "Invalid momentum"),
    (
        {"optimizer": {"optimizer": "adam"}, "y": {**MOMENTUM, "name": "beta1", "max": 1}},
        ["body", "y", "max"],
        "beta",
    ),
    (
        {"optimizer": {"optimizer": "adam", "betas": [0.9, 1.0]}, "y": {**MOMENTUM, "name": "beta1"}},
        ["body", "optimizer", "betas"],
        "beta",
    ),
    (
        {"optimizer": {"optimizer": "sgd", "nesterov": True}},
        ["body", "y", "min"],
        "Nesterov momentum needs momentum > 0",
    ),
    (
        {
            "optimizer": {"optimizer": "sgd", "nesterov": True, "momentum": 0.9},
            "y": {"name": "dampening", "min": 0, "max": 0.5, "count": 3},
        },
        ["body", "y", "max"],
        "dampening 0 in every cell",
    ),
    (
        {"optimizer": {"optimizer": "sgd", "nesterov": True}, "y": {**MOMENTUM, "name": "weight_decay"}},
        ["body", "optimizer", "nesterov"],
        "Nesterov",
    ),
    # The fixed hyperparameters
    ({"optimizer": {"optimizer": "nadam"}}, ["body", "optimizer", "optimizer"], "unknown optimizer"),
    ({"optimizer": {"lr": 0.1}}, ["body", "optimizer", "optimizer"], "Field required"),
    ({"optimizer": {"optimizer": "sgd", "betas": [0.9, 0.9]}}, ["body", "optimizer", "betas"], "no hyperparameter"),
    ({"optimizer": {"optimizer": "sgd", "lr": "0.1"}}, ["body", "optimizer", "lr"], "must be a number"),
    ({"optimizer": {"optimizer": "sgd", "dampening": 2}}, ["body", "optimizer", "dampening"], "maximum"),
    # The start and the surface
    ({"start": [1e9, 0]}, ["body", "start"], "divergence box"),
    ({"start": [0]}, ["body", "start"], "at least 2"),
    (
        {"surface": {"formula": "log(x) + y**2", "x_range": [-1, 1], "y_range": [-1, 1]}, "start": [-0.5, 0]},
        ["body", "start"],
        "not finite at the start",
    ),
    ({"surface": "nope"}, ["body", "surface"], "unknown surface"),
    (
        {"surface": {"formula": "x^2 + 2x", "x_range": [-1, 1], "y_range": [-1, 1]}},
        ["body", "surface", "formula"],
        "",
    ),
    ({"maxsteps": 10}, ["body", "maxsteps"], "Extra inputs"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "loc", "fragment"), BAD)
def test_bounds_and_bad_input_are_422s_naming_the_field(client, change, loc, fragment):
    body = {
        "surface": BOWL,
        "start": START,
        "optimizer": {"optimizer": "sgd"},
        "x": AXIS,
        "y": MOMENTUM,
        **change,
    }
    # json.dumps writes Infinity, as a careless client might (httpx's json= refuses it).
    headers = {"content-type": "application/json"}
    response = client.post("/api/stability", content=json.dumps(body), headers=headers)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"] == loc and fragment in e["msg"] for e in errors), errors


def test_limits_are_the_documented_ones():
    assert limits.MIN_STABILITY_COUNT == 2 and limits.MAX_STABILITY_COUNT == 128
    assert limits.MAX_STABILITY_STEPS == 10_000 and limits.MAX_STABILITY_WORK == 20_000_000
