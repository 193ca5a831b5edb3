"""The basin map's shortcuts give what the plain way gives, to the byte.

- ``Descent._settle`` reads a block's extremes to skip the per-point divergence checks
  when nothing diverged: the same statuses, steps and final points as checking every
  point.
- On a surface whose f and ∇f are bounded inside the divergence box (interval
  arithmetic over its formula: ``Formula.bound``), it reads only the extremes of x and
  y; the bound holds wherever it is claimed.
- ``_basin_response`` hands orjson the numpy arrays rather than lists of every value,
  and the answer is gzipped a field at a time (Huffman coding alone for the final
  heights): the same JSON bytes as the lists, null where a value is not finite.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from app import descent, optim
from app.api import descent as api_descent
from app.api.responses import encode, encoded_object_response
from app.finite import finite_or_none
from app.surfaces import CATALOGUE, SURELY_FINITE, from_catalogue, from_formula

# (surface, optimizer, hyperparameters, tolerance): hikers that converge, that diverge
# (Rosenbrock with a large SGD step), both in one map, and that never stop.
CASES = [
    ("himmelblau", "adam", {"lr": 0.05}, 1e-6),
    ("rosenbrock", "sgd", {"lr": 0.002}, 0.05),
    ("himmelblau", "sgd", {"lr": 0.01}, 0.0),
    ("rosenbrock", "sgd", {"lr": 0.004}, 1e-3),
    ("rosenbrock", "sgd", {"lr": 0.004}, 0.0),
    ("rastrigin", "sgd", {"lr": 0.01, "momentum": 0.9}, 1e-4),
]


def _basins(name, optimizer, hyper, tolerance, resolution=40, steps=300):
    surface = from_catalogue(name)
    return descent.basins(
        surface, optimizer, optim.resolve(optimizer, hyper), resolution, steps, tolerance
    )


def _checking_every_point(monkeypatch):
    monkeypatch.setattr(descent.Descent, "_all_good", lambda self, points: False)


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[1]}-{case[3]:g}")
def test_skipping_the_divergence_checks_changes_no_basin_map(case, monkeypatch):
    quick = _basins(*case)
    _checking_every_point(monkeypatch)
    plain = _basins(*case)
    np.testing.assert_array_equal(quick.status, plain.status)
    np.testing.assert_array_equal(quick.steps, plain.steps)
    np.testing.assert_array_equal(quick.minimum, plain.minimum)
    np.testing.assert_array_equal(quick.final_z, plain.final_z)  # NaN where NaN


def test_the_cases_have_hikers_that_diverge_and_hikers_that_converge():
    statuses = {s for case in CASES for s in _basins(*case).status.ravel().tolist()}
    assert {descent.CONVERGED, descent.DIVERGED, descent.MAX_STEPS} <= statuses


def test_skipping_the_divergence_checks_changes_no_path(monkeypatch):
    surface = from_catalogue("rosenbrock")
    starts = np.array([[-1.2, 1.0], [2.0, 2.0], [np.nan, 0.0], [1.0, 1.0], [-2.0, -1.0]])
    optimizers = [
        ("sgd", optim.resolve("sgd", {"lr": lr})) for lr in (1e-3, 0.01, 1e-3, 1e-3, 1e-3)
    ]

    def run():
        runs = descent.Descent(surface, starts, optimizers, 400, 1e-4)
        return runs, descent.collect(runs)

    quick, quick_paths = run()
    _checking_every_point(monkeypatch)
    plain, plain_paths = run()
    assert quick.status.tolist() == plain.status.tolist()
    assert descent.DIVERGED in plain.status.tolist()
    np.testing.assert_array_equal(quick.steps, plain.steps)
    np.testing.assert_array_equal(quick.final, plain.final)
    for ours, theirs in zip(quick_paths, plain_paths, strict=True):
        np.testing.assert_array_equal(ours, theirs)


BOUNDED_FORMULAS = [
    *(entry.formula for entry in CATALOGUE.values()),
    "x^3*y - 2*x^2 + abs(x - y)",
    "sin(3*x)*exp(y/4) - cos(x*y)^3 + (-x)^5",
]
UNBOUNDED_FORMULAS = ["1/x + y", "log(x^2 + y^2)", "exp(x^2) + y", "sqrt(x) + y", "x^y"]


@pytest.mark.parametrize("text", BOUNDED_FORMULAS)
def test_a_formulas_bound_holds_everywhere_on_the_rectangle(text):
    x_range, y_range = (-7.5, 2.0), (-3.0, 6.0)
    formula = from_formula(text, x_range, y_range).formula
    bound = formula.bound(x_range, y_range)
    if text == CATALOGUE["ackley"].formula:  # √(x² + y²) and a division: no rule for them
        assert bound == np.inf
        return
    assert bound < SURELY_FINITE
    rng = np.random.default_rng(11)
    x, y = rng.uniform(*x_range, 20_000), rng.uniform(*y_range, 20_000)
    corners = np.array([[x_range[i], y_range[j]] for i in (0, 1) for j in (0, 1)]).T
    x, y = np.concatenate([x, corners[0]]), np.concatenate([y, corners[1]])
    largest = max(np.abs(values).max() for values in formula.value_and_gradient(x, y))
    assert largest <= bound
    assert largest >= bound / 1e6  # a bound, but not a useless one


@pytest.mark.parametrize("text", UNBOUNDED_FORMULAS)
def test_no_bound_is_claimed_where_f_or_its_gradient_can_be_infinite(text):
    surface = from_formula(text, (0.5, 2.0), (0.5, 2.0))
    assert surface.formula.bound((-100.0, 100.0), (-100.0, 100.0)) == np.inf
    assert not surface.finite_in_divergence_box


def test_most_of_the_catalogue_needs_no_look_at_f_inside_the_box():
    surely = {name for name in CATALOGUE if from_catalogue(name).finite_in_divergence_box}
    assert {"himmelblau", "rosenbrock", "rastrigin", "goldstein_price"} <= surely
    assert "ackley" not in surely  # √(x² + y²): no interval rule for it


def test_where_f_overflows_inside_the_box_its_hikers_diverge_all_the_same(monkeypatch):
    """exp(x²) overflows far out (no bound): the block's values are looked at, and the
    hikers there end as checking every point ends them."""
    surface = from_formula("exp(x^2/50) + y^2", (-3.0, 3.0), (-3.0, 3.0))
    assert not surface.finite_in_divergence_box
    starts = np.array([[2.5, 1.0], [0.5, 0.5], [-2.0, 2.0]])
    hyper = optim.resolve("sgd", {"lr": 5.0})

    def run():
        runs = descent.Descent(surface, starts, ("sgd", hyper), 200, 1e-6)
        return runs, descent.collect(runs)

    quick, quick_paths = run()
    assert descent.DIVERGED in quick.status.tolist()
    _checking_every_point(monkeypatch)
    plain, plain_paths = run()
    assert quick.status.tolist() == plain.status.tolist()
    np.testing.assert_array_equal(quick.steps, plain.steps)
    for ours, theirs in zip(quick_paths, plain_paths, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def _basin_response_from_lists(result: descent.BasinMap, surface) -> dict:
    """The answer as it was built before: every array as Python lists."""
    return {
        "x": result.x.tolist(),
        "y": result.y.tolist(),
        "minimum": result.minimum.tolist(),
        "steps": result.steps.tolist(),
        "final_z": finite_or_none(result.final_z),
        "status": result.status.tolist(),
        "minima": [m.as_json() for m in surface.minima],
    }


LOG_SURFACE = {"formula": "log(x) + y**2", "x_range": [-1, 1], "y_range": [-1, 1]}

BASIN_BODIES = [
    # The bench's case: many converge, the others walk to the end.
    {
        "surface": "himmelblau",
        "optimizer": {"optimizer": "adam", "lr": 0.05},
        "resolution": 100,
        "max_steps": 300,
        "tolerance": 1e-6,
    },
    {"surface": "bowl", "optimizer": {"optimizer": "sgd", "lr": 1.5}, "resolution": 5},
    # Starts where f is not finite: final_z holds nulls.
    {"surface": LOG_SURFACE, "optimizer": {"optimizer": "sgd", "lr": 0.1}, "resolution": 9},
]


@pytest.mark.parametrize("body", BASIN_BODIES, ids=["himmelblau", "bowl", "log"])
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_basin_map_answer_is_the_same_bytes_as_from_lists(client, body, encoding, monkeypatch):
    headers = {"accept-encoding": encoding}
    ours = client.post("/api/basins", json=body, headers=headers)
    monkeypatch.setattr(api_descent, "_basin_response", _basin_response_from_lists)
    reference = client.post("/api/basins", json=body, headers=headers)
    assert ours.status_code == reference.status_code == 200
    assert ours.headers.get("content-encoding") == reference.headers.get("content-encoding")
    assert ours.content == reference.content
    if body["surface"] is LOG_SURFACE:
        assert b"null" in ours.content


@pytest.mark.parametrize(
    "numbers", [set(), {"z"}, {"a"}, {"z", "status"}, {"a", "z", "status", "tail"}]
)
def test_an_object_gzipped_in_pieces_is_one_valid_gzip_stream_of_the_same_json(numbers):
    rng = np.random.default_rng(7)
    content = {
        "a": np.linspace(-5, 5, 100),
        "z": rng.standard_normal((60, 60)) * 1e3,
        "status": [["converged", "max_steps"] * 30] * 60,
        "tail": {"minima": [{"x": 3.0, "y": 2.0}]},
    }
    response = encoded_object_response(content, gzip=True, numbers=numbers)
    assert response.headers["content-encoding"] == "gzip"
    # Python's gzip checks the stream's CRC-32 and length too.
    assert gzip.decompress(response.body) == encode(content)
    plain = encoded_object_response(content, gzip=False, numbers=numbers)
    assert "content-encoding" not in plain.headers and plain.body == encode(content)


def test_an_empty_or_small_object_is_sent_as_it_is():
    for content in ({}, {"x": [1.5, 2.5]}):
        response = encoded_object_response(content, gzip=True, numbers={"x"})
        assert response.body == encode(content)


STEPPED = [
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.3}),
    ("sgd", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"lr": 0.01}),
]


@pytest.mark.parametrize(
    "name, hyper", STEPPED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(STEPPED)]
)
def test_a_step_written_elsewhere_gives_the_numbers_of_a_step_in_place(name, hyper):
    rng = np.random.default_rng(3)
    start = rng.standard_normal((2, 50))
    resolved = optim.resolve(name, hyper)
    in_place, elsewhere = start.copy(), start.copy()
    by_update = optim.Optimizer(name, resolved, [in_place])
    by_out = optim.Optimizer(name, resolved, [elsewhere])
    for _ in range(20):
        grad = rng.standard_normal((2, 50))
        by_update.step_array(in_place, grad)
        before, after = elsewhere.copy(), np.empty_like(elsewhere)
        by_out.step_array(elsewhere, grad, out=after)
        np.testing.assert_array_equal(elsewhere, before)  # only read
        np.testing.assert_array_equal(after, in_place)
        elsewhere = after
