"""Every catalogue surface and every minimum it lists, checked numerically."""

from __future__ import annotations

import numpy as np
import pytest

from app.surfaces import CATALOGUE, compile_formula, find_minima, from_catalogue, from_formula

REQUIRED = {
    "rosenbrock", "himmelblau", "rastrigin", "ackley", "beale", "booth", "goldstein_price",
    "six_hump_camel", "three_hump_camel", "styblinski_tang", "matyas", "levi_n13", "mccormick",
    "easom", "saddle", "elongated_bowl",
}  # fmt: skip

ENTRIES = list(CATALOGUE.values())
MINIMA = [(e.name, i, m) for e in ENTRIES for i, m in enumerate(e.minima)]


def test_catalogue_has_the_literature_surfaces_and_teaching_ones():
    assert len(CATALOGUE) >= 16
    assert REQUIRED <= set(CATALOGUE)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_entry_is_complete(entry):
    surface = from_catalogue(entry.name)
    assert entry.title and entry.description and surface.formula.latex
    assert entry.x_range[0] < entry.x_range[1] and entry.y_range[0] < entry.y_range[1]
    x, y = entry.start
    assert entry.x_range[0] <= x <= entry.x_range[1] and entry.y_range[0] <= y <= entry.y_range[1]
    assert np.isfinite(surface.formula.value_and_gradient(np.array([x]), np.array([y]))).all()


@pytest.mark.parametrize(("name", "index", "minimum"), MINIMA, ids=lambda v: str(v)[:20])
def test_listed_minimum_is_a_minimum(name, index, minimum):
    surface = from_catalogue(name)
    f = surface.formula
    point_x, point_y = np.array([minimum.x]), np.array([minimum.y])
    z = f.value(point_x, point_y)[0]
    assert z == pytest.approx(minimum.z, abs=1e-8)
    # No lower point on a small ring around it (a local minimum)...
    span = min(surface.spans)
    for radius in (1e-4 * span, 1e-3 * span):
        angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
        ring = f.value(minimum.x + radius * np.cos(angles), minimum.y + radius * np.sin(angles))
        assert np.all(ring >= z - 1e-12), f"a lower point lies {radius:g} from {minimum}"
    # ... and where f is smooth there, a vanishing gradient.
    _, gx, gy = f.value_and_gradient(point_x, point_y)
    if np.isfinite(gx[0]) and np.isfinite(gy[0]):
        assert np.hypot(gx[0], gy[0]) < 1e-5 * max(1.0, abs(z))


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.minima], ids=lambda e: e.name)
def test_global_minima_are_lowest_in_the_domain(entry):
    surface = from_catalogue(entry.name)
    xs, ys = surface.grid(801)
    grid = surface.formula.value(*np.meshgrid(xs, ys))
    lowest_global = min(m.z for m in entry.minima if m.is_global)
    assert any(m.is_global for m in entry.minima)
    assert np.nanmin(grid) >= lowest_global - 1e-9
    for minimum in entry.minima:
        if minimum.is_global:
            assert minimum.z == pytest.approx(lowest_global, abs=1e-8)
        else:
            assert minimum.z > lowest_global + 1e-6


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_numeric_minimum_finder_agrees_with_the_catalogue(entry):
    """A user typing a catalogue formula gets the same global minima, found numerically."""
    found = from_formula(entry.formula, entry.x_range, entry.y_range).minima
    expected = [m for m in entry.minima if m.is_global]
    if not expected:
        assert not found
        return
    found_global = [m for m in found if m.is_global]
    for minimum in expected:
        assert any(
            abs(m.x - minimum.x) < 1e-3 * (entry.x_range[1] - entry.x_range[0])
            and abs(m.y - minimum.y) < 1e-3 * (entry.y_range[1] - entry.y_range[0])
            for m in found_global
        ), f"{minimum} not found in {found_global}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_local_minimum_in_the_domain_is_listed(entry):
    """The list is exactly what a fine numeric search finds (the generator's search)."""
    formula = compile_formula(entry.formula)
    found = find_minima(formula, entry.x_range, entry.y_range, resolution=801, max_minima=None)
    spans = np.array([entry.x_range[1] - entry.x_range[0], entry.y_range[1] - entry.y_range[0]])
    assert len(found) == len(entry.minima)
    for minimum in found:
        listed = [
            m
            for m in entry.minima
            if np.all(np.abs([m.x - minimum.x, m.y - minimum.y]) < 1e-6 * spans)
        ]
        assert len(listed) == 1, f"{minimum} is not listed once"
        assert listed[0].z == pytest.approx(minimum.z, abs=1e-8)
        assert listed[0].is_global == minimum.is_global


def _integer_points(minima, near: float) -> set[tuple[int, int]]:
    return {
        (round(m.x), round(m.y))
        for m in minima
        if max(abs(m.x - round(m.x)), abs(m.y - round(m.y))) < near
    }


def test_grids_of_minima():
    """Rastrigin and Ackley: one minimum near every integer point of the domain (SFU's
    "many regularly distributed local minima"); Styblinski–Tang: one in each quadrant."""
    grid = {(i, j) for i in range(-5, 6) for j in range(-5, 6)}
    for name in ("rastrigin", "ackley"):
        minima = CATALOGUE[name].minima
        assert len(minima) == 121 and _integer_points(minima, 0.06) == grid, name
    tang = CATALOGUE["styblinski_tang"].minima
    corners = {(x, y) for x in (-2.903534, 2.746803) for y in (-2.903534, 2.746803)}
    assert {(round(m.x, 6), round(m.y, 6)) for m in tang} == corners


# SFU's published global minima (Himmelblau's from its paper): location(s) and value.
PUBLISHED_GLOBAL_MINIMA = {
    "rosenbrock": ([(1, 1)], 0.0),
    "himmelblau": ([(3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)], 0.0),
    "rastrigin": ([(0, 0)], 0.0),
    "ackley": ([(0, 0)], 0.0),
    "beale": ([(3, 0.5)], 0.0),
    "booth": ([(1, 3)], 0.0),
    "goldstein_price": ([(0, -1)], 3.0),
    "six_hump_camel": ([(0.0898, -0.7126), (-0.0898, 0.7126)], -1.0316),
    "three_hump_camel": ([(0, 0)], 0.0),
    "styblinski_tang": ([(-2.903534, -2.903534)], -39.16617 * 2),  # SFU rounds it to -39.16599d
    "matyas": ([(0, 0)], 0.0),
    "levi_n13": ([(1, 1)], 0.0),
    "mccormick": ([(-0.54719, -1.54719)], -1.9133),
    "easom": ([(np.pi, np.pi)], -1.0),
}  # fmt: skip


@pytest.mark.parametrize("name", list(PUBLISHED_GLOBAL_MINIMA))
def test_global_minima_are_the_published_ones(name):
    points, value = PUBLISHED_GLOBAL_MINIMA[name]
    listed = [m for m in CATALOGUE[name].minima if m.is_global]
    assert len(listed) == len(points)
    for x, y in points:
        (match,) = [m for m in listed if abs(m.x - x) < 1e-4 and abs(m.y - y) < 1e-4]
        assert match.z == pytest.approx(value, abs=1e-4)


def test_published_values():
    """A few values from the SFU library's pages, as a check on the formulas themselves."""
    checks = {
        "goldstein_price": ((0, -1), 3.0),
        "six_hump_camel": ((0.0898, -0.7126), -1.0316),
        "styblinski_tang": ((-2.903534, -2.903534), -39.16617 * 2),
        "mccormick": ((-0.54719, -1.54719), -1.9133),
        "easom": ((np.pi, np.pi), -1.0),
        "beale": ((3, 0.5), 0.0),
        "rastrigin": ((0, 0), 0.0),
        "ackley": ((0, 0), 0.0),
    }
    for name, ((x, y), value) in checks.items():
        z = from_catalogue(name).formula.value(np.array([x]), np.array([y]))[0]
        assert z == pytest.approx(value, abs=1e-4), name


def test_basin_maps_index_the_long_lists(client):
    """A basin map's ``minimum`` indexes the surface's minima, all 121 of Rastrigin's."""
    body = {
        "surface": "rastrigin",
        "optimizer": {"optimizer": "sgd", "lr": 0.002},
        "resolution": 12,
        "max_steps": 300,
    }
    result = client.post("/api/basins", json=body).json()
    assert len(result["minima"]) == len(CATALOGUE["rastrigin"].minima) == 121
    xs, ys = result["x"], result["y"]
    reached = 0
    for i, row in enumerate(result["minimum"]):
        for j, index in enumerate(row):
            if index >= 0:
                reached += 1
                minimum = result["minima"][index]
                # Gradient descent with a small step settles in the dip it starts in.
                assert abs(minimum["x"] - xs[j]) <= 0.5 and abs(minimum["y"] - ys[i]) <= 0.5
    assert reached >= 100
