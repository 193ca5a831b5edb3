"""The surfaces as data: a formula string plus the facts about it.

f, ∇f, the mesh and the LaTeX all come from the formula string, through the
same path a user's own formula takes (``formula.compile_formula``). Definitions
and domains follow Surjanovic & Bingham, "Virtual Library of Simulation
Experiments" (SFU), except where a description says otherwise. Every local
minimum inside the domain is listed (the many of Rastrigin, Ackley and Lévi come
from app/surfaces/minima_tables.py) and checked numerically by
tests/test_catalogue.py.

Each surface has a ``Preset``: hikers whose run makes its description come true,
with the verdict each gets (tests/test_presets.py runs them all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.surfaces.minima_tables import ACKLEY, LEVI_N13, RASTRIGIN


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    z: float
    is_global: bool

    def as_json(self) -> dict:
        return {"x": self.x, "y": self.y, "z": self.z, "global": self.is_global}


@dataclass(frozen=True)
class Preset:
    """A surface's lesson, runnable: ``{"surface": name, "runs", "max_steps",
    "tolerance"}`` is a POST /api/descent body whose runs get the ``expect`` verdicts.

    ``camera`` is a Plotly scene camera (eye, center, up, in the scene's
    normalised coordinates) that looks into the valley where the hikers end.
    """

    runs: tuple[dict[str, Any], ...]
    max_steps: int
    tolerance: float
    expect: tuple[str, ...]
    camera: dict[str, dict[str, float]] | None = None

    def as_json(self) -> dict:
        return {
            "runs": [dict(run) for run in self.runs],
            "max_steps": self.max_steps,
            "tolerance": self.tolerance,
            "expect": list(self.expect),
            "camera": self.camera,
        }


@dataclass(frozen=True)
class CatalogueEntry:
    name: str
    title: str
    description: str
    formula: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[Minimum, ...] = field(default_factory=tuple)
    preset: Preset | None = None


def _global(x: float, y: float, z: float) -> Minimum:
    return Minimum(x, y, z, True)


def _local(x: float, y: float, z: float) -> Minimum:
    return Minimum(x, y, z, False)


def _table(rows: tuple[tuple[float, float, float], ...]) -> tuple[Minimum, ...]:
    """A generated table (lowest first) as minima; the lowest are global."""
    lowest = rows[0][2]
    return tuple(Minimum(x, y, z, z - lowest <= 1e-9 * max(1.0, abs(lowest))) for x, y, z in rows)


def _gd(lr: float, start: tuple[float, float], label: str | None = None) -> dict[str, Any]:
    """A plain gradient-descent hiker."""
    return _hiker("sgd", start, label or f"Gradient descent, lr {lr:g}", lr=lr)


def _momentum(lr: float, momentum: float, start: tuple[float, float]) -> dict[str, Any]:
    return _hiker("sgd", start, f"Momentum {momentum:g}, lr {lr:g}", lr=lr, momentum=momentum)


def _adam(lr: float, start: tuple[float, float], label: str | None = None) -> dict[str, Any]:
    return _hiker("adam", start, label or f"Adam, lr {lr:g}", lr=lr)


def _hiker(optimizer: str, start: tuple[float, float], label: str, **hyper: float) -> dict:
    return {"optimizer": optimizer, **hyper, "start": list(start), "label": label}


def _camera(eye: tuple[float, float, float], center: tuple[float, float, float]) -> dict:
    axes = ("x", "y", "z")
    return {
        "eye": dict(zip(axes, eye, strict=True)),
        "center": dict(zip(axes, center, strict=True)),
        "up": {"x": 0.0, "y": 0.0, "z": 1.0},
    }


PI = 3.141592653589793

_ENTRIES = [
    CatalogueEntry(
        "himmelblau",
        "Himmelblau",
        "Four valleys of equal depth: where a hiker ends depends on where it starts, and on "
        "its step. In this fan from one start, plain gradient descent with learning rate "
        "0.0001 crawls, 0.01 converges, 0.027 bounces across its valley for ever and 0.05 "
        "flies off.",
        "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        (-5, 5),
        (-5, 5),
        (-0.5, -0.5),
        (
            _global(3.0, 2.0, 0.0),
            _global(-2.805118087, 3.131312518, 0.0),
            _global(-3.779310253, -3.283185991, 0.0),
            _global(3.584428340, -1.848126527, 0.0),
        ),
        Preset(
            tuple(_gd(lr, (-0.5, -0.5)) for lr in (0.0001, 0.01, 0.027, 0.05)),
            max_steps=1000,
            tolerance=1e-6,
            expect=("crawling", "converged", "oscillating", "diverged"),
            camera=_camera(eye=(1.02, -1.01, 1.05), center=(-0.14, 0.15, -0.1)),
        ),
    ),
    CatalogueEntry(
        "rosenbrock",
        "Rosenbrock",
        "A long, curved, nearly flat valley: easy to find, slow to follow to its minimum "
        "at (1, 1). After 5,000 steps plain gradient descent (lr 0.001) is still crawling "
        "along the valley floor, while momentum and Adam have reached the minimum.",
        "(1 - x)**2 + 100*(y - x**2)**2",
        (-2.048, 2.048),
        (-2.048, 2.048),
        (-1.2, 1.0),
        (_global(1.0, 1.0, 0.0),),
        Preset(
            (
                _gd(0.001, (-1.2, 1.0)),
                _momentum(0.001, 0.9, (-1.2, 1.0)),
                _adam(0.05, (-1.2, 1.0)),
            ),
            max_steps=5000,
            tolerance=1e-6,
            expect=("crawling", "converged", "converged"),
            camera=_camera(eye=(0.54, -1.46, 1.05), center=(0.12, 0.12, -0.1)),
        ),
    ),
    CatalogueEntry(
        "bowl",
        "Round bowl",
        "The simplest cost, x² + y²: every step points straight at the bottom, and the "
        "learning rate alone decides. Plain gradient descent converges with 0.1, and with "
        "0.9 too, overshooting back and forth; with exactly 1 it bounces between two points "
        "for ever; above 1 every bounce grows until it flies off.",
        "x**2 + y**2",
        (-5, 5),
        (-5, 5),
        (-4.0, 3.0),
        (_global(0.0, 0.0, 0.0),),
        Preset(
            tuple(_gd(lr, (-4.0, 3.0)) for lr in (0.1, 0.9, 1.0, 1.1)),
            max_steps=200,
            tolerance=1e-6,
            expect=("converged", "converged", "oscillating", "diverged"),
            camera=_camera(eye=(0.35, -1.53, 1.05), center=(-0.07, 0.05, -0.1)),
        ),
    ),
    CatalogueEntry(
        "elongated_bowl",
        "Elongated bowl",
        "An ill-conditioned quadratic, 0.1x² + 2y²: 20 times more curved across (y) than "
        "along (x). Plain gradient descent with a step big enough to make progress along x "
        "overshoots across y: it zig-zags across the narrow direction all the way down, and "
        "still converges. Momentum damps the zig-zag and converges in fewer steps.",
        "0.1*x**2 + 2*y**2",
        (-10, 10),
        (-4, 4),
        (-9.0, 3.0),
        (_global(0.0, 0.0, 0.0),),
        Preset(
            (_gd(0.45, (-9.0, 3.0)), _momentum(0.2, 0.7, (-9.0, 3.0))),
            max_steps=1000,
            tolerance=1e-6,
            expect=("converged", "converged"),
            camera=_camera(eye=(1.64, 0.0, 1.05), center=(0.0, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "saddle",
        "Saddle",
        "x² − y²: uphill along x, downhill along y. A hiker on the ridge y = 0 walks to the "
        "centre, where the gradient vanishes, yet it is a saddle point, not a minimum. One "
        "started just off the ridge slides away down y for ever. There is no minimum at all.",
        "x**2 - y**2",
        (-2, 2),
        (-2, 2),
        (-1.8, 0.05),
        (),
        Preset(
            (
                _gd(0.02, (-1.8, 0.0), "On the ridge"),
                _gd(0.02, (-1.8, 0.05), "Just off the ridge"),
            ),
            max_steps=1000,
            tolerance=1e-6,
            expect=("saddle", "diverged"),
            camera=_camera(eye=(1.16, -1.16, 1.05), center=(0.0, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "two_valleys",
        "Two valleys",
        "A deep valley on the left and a shallower one on the right: a hiker starting on the "
        "right settles in the local minimum and never sees the global one; one starting on "
        "the left finds the global one.",
        "(x**2 - 1)**2 + 0.3*x + y**2",
        (-2, 2),
        (-2, 2),
        (1.8, 1.5),
        (
            _global(-1.035578714, 0.0, -0.3054284837),
            _local(0.9601495555, 0.0, 0.294146481),
        ),
        Preset(
            (_gd(0.05, (1.8, 1.5), "From the right"), _gd(0.05, (-1.8, 1.5), "From the left")),
            max_steps=1000,
            tolerance=1e-6,
            expect=("converged", "converged"),
            camera=_camera(eye=(0.42, -1.58, 1.05), center=(0.0, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "rastrigin",
        "Rastrigin",
        "A bowl covered in regularly spaced bumps: a local minimum near every integer point, "
        "121 in the domain. Gradient descent with a small step (0.002) stops in the first dip "
        "it meets; with a step too large for the dips' curvature (0.01, above 2/396) it "
        "bounces around its dip and never settles.",
        "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        (-5.12, 5.12),
        (-5.12, 5.12),
        (2.3, 2.1),
        _table(RASTRIGIN),
        Preset(
            (_gd(0.002, (2.3, 2.1)), _gd(0.01, (2.3, 2.1))),
            max_steps=1000,
            tolerance=1e-6,
            expect=("converged", "oscillating"),
            camera=_camera(eye=(0.23, -0.03, 1.89), center=(0.11, 0.09, -0.1)),
        ),
    ),
    CatalogueEntry(
        "ackley",
        "Ackley",
        "A nearly flat outer region with a small dip near every integer point and one deep "
        "hole at the centre, whose bottom is a sharp point. Gradient descent settles in the "
        "first dip; momentum rolls over a few dips into a deeper one; Adam with a large step "
        "hops from dip to dip into the hole, where it bounces for ever: at a sharp point the "
        "slope never flattens. Shown on [-5, 5]², a restriction of SFU's "
        "[-32.768, 32.768]² that the library allows.",
        "-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
        (-5, 5),
        (-5, 5),
        (2.6, -1.7),
        _table(ACKLEY),
        Preset(
            (
                _gd(0.01, (2.6, -1.7)),
                _momentum(0.02, 0.9, (2.6, -1.7)),
                _adam(0.5, (2.6, -1.7)),
            ),
            max_steps=2000,
            tolerance=1e-6,
            expect=("converged", "converged", "oscillating"),
            camera=_camera(eye=(0.28, -0.32, 1.87), center=(0.03, -0.07, -0.1)),
        ),
    ),
    CatalogueEntry(
        "beale",
        "Beale",
        "Sharp ridges and flat, curving valleys meeting at the minimum (3, 0.5); the scale "
        "changes by orders of magnitude across the domain. After 5,000 steps plain gradient "
        "descent (lr 0.001) is still crawling along the flat valley, while momentum and Adam "
        "have reached the minimum.",
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        (-4.5, 4.5),
        (-4.5, 4.5),
        (1.0, 1.4),
        (_global(3.0, 0.5, 0.0),),
        Preset(
            (
                _gd(0.001, (1.0, 1.4)),
                _momentum(0.001, 0.9, (1.0, 1.4)),
                _adam(0.05, (1.0, 1.4)),
            ),
            max_steps=5000,
            tolerance=1e-6,
            expect=("crawling", "converged", "converged"),
            camera=_camera(eye=(1.32, -1.13, 1.05), center=(0.16, 0.03, -0.1)),
        ),
    ),
    CatalogueEntry(
        "booth",
        "Booth",
        "A tilted, stretched bowl (a quadratic) with its minimum at (1, 3). Its steepest "
        "curvature is 18, so plain gradient descent is stable only below a learning rate of "
        "2/18 ≈ 0.11: 0.05 converges, 0.1 zig-zags and still converges, 0.12 flies off.",
        "(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        (-10, 10),
        (-10, 10),
        (-8.0, -6.0),
        (_global(1.0, 3.0, 0.0),),
        Preset(
            tuple(_gd(lr, (-8.0, -6.0)) for lr in (0.05, 0.1, 0.12)),
            max_steps=1000,
            tolerance=1e-6,
            expect=("converged", "converged", "diverged"),
            camera=_camera(eye=(1.19, -1.08, 1.05), center=(0.03, 0.08, -0.1)),
        ),
    ),
    CatalogueEntry(
        "goldstein_price",
        "Goldstein–Price",
        "A steep polynomial with several local minima; its global minimum is 3 at (0, −1). "
        "Its values, and so its gradient, span six orders of magnitude: plain gradient "
        "descent takes a giant first step and flies off, while Adam, whose step does not "
        "grow with the gradient, settles in the minimum nearest its start: the global one "
        "from (0.5, −1.5), a local one (f = 30) from (−0.2, −0.2).",
        "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
        "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
        (-2, 2),
        (-2, 2),
        (-1.0, 1.2),
        (
            _global(0.0, -1.0, 3.0),
            _local(-0.6, -0.4, 30.0),
            _local(1.8, 0.2, 84.0),
            _local(1.2, 0.8, 840.0),
        ),
        Preset(
            (
                _gd(0.0001, (-1.0, 1.2)),
                _adam(0.01, (0.5, -1.5), "Adam from (0.5, −1.5)"),
                _adam(0.01, (-0.2, -0.2), "Adam from (−0.2, −0.2)"),
            ),
            max_steps=2000,
            tolerance=1e-6,
            expect=("diverged", "converged", "converged"),
            camera=_camera(eye=(1.12, -1.25, 1.05), center=(-0.04, -0.09, -0.1)),
        ),
    ),
    CatalogueEntry(
        "six_hump_camel",
        "Six-hump camel",
        "Two global minima, mirror images of each other, and four local ones. Four hikers "
        "with the same optimizer, started in different places, end in four different minima, "
        "two of them global: where a hiker starts decides where it ends.",
        "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2",
        (-3, 3),
        (-2, 2),
        (-1.5, -1.0),
        (
            _global(0.0898420131, -0.712656403, -1.031628453),
            _global(-0.0898420131, 0.712656403, -1.031628453),
            _local(1.703606715, -0.7960835687, -0.2154638244),
            _local(-1.703606715, 0.7960835687, -0.2154638244),
            _local(1.607104753, 0.5686514549, 2.10425031),
            _local(-1.607104753, -0.5686514549, 2.10425031),
        ),
        Preset(
            tuple(
                _gd(0.01, start, f"From ({start[0]:g}, {start[1]:g})")
                for start in ((0.0, 0.5), (0.0, -0.5), (-1.5, -1.0), (-2.0, 1.0))
            ),
            max_steps=2000,
            tolerance=1e-6,
            expect=("converged",) * 4,
            camera=_camera(eye=(1.09, -1.16, 1.05), center=(-0.07, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "three_hump_camel",
        "Three-hump camel",
        "A global minimum at the origin flanked by two shallow local minima. From (2.5, −2) "
        "plain gradient descent with a small step (0.02) settles in the local minimum on its "
        "way; a larger step (0.08) jumps past it to the origin.",
        "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        (-5, 5),
        (-5, 5),
        (2.5, -2.0),
        (
            _global(0.0, 0.0, 0.0),
            _local(1.747552346, -0.8737761729, 0.2986384422),
            _local(-1.747552346, 0.8737761729, 0.2986384422),
        ),
        Preset(
            (_gd(0.02, (2.5, -2.0)), _gd(0.08, (2.5, -2.0))),
            max_steps=2000,
            tolerance=1e-6,
            expect=("converged", "converged"),
            camera=_camera(eye=(0.86, -1.44, 1.05), center=(0.04, -0.02, -0.1)),
        ),
    ),
    CatalogueEntry(
        "styblinski_tang",
        "Styblinski–Tang",
        "Four valleys of different depths; the deepest is at (−2.9035, −2.9035). Four "
        "hikers started close together near the centre roll into four different valleys; "
        "only one finds the deepest.",
        "(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2",
        (-5, 5),
        (-5, 5),
        (0.5, 0.3),
        (
            _global(-2.903534028, -2.903534028, -78.33233141),
            _local(2.746802771, -2.903534028, -64.19561236),
            _local(-2.903534028, 2.746802771, -64.19561236),
            _local(2.746802771, 2.746802771, -50.05889331),
        ),
        Preset(
            tuple(
                _gd(0.01, start, f"From ({start[0]:g}, {start[1]:g})")
                for start in ((0.5, 0.3), (-0.5, 0.3), (0.5, -0.3), (-0.5, -0.3))
            ),
            max_steps=2000,
            tolerance=1e-6,
            expect=("converged",) * 4,
            camera=_camera(eye=(0.64, -1.11, 1.43), center=(0.0, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "matyas",
        "Matyas",
        "A flat, diagonal plate-shaped bowl: the gradient is small almost everywhere, so "
        "plain gradient descent (lr 0.1) is still crawling after 1,000 steps, while momentum "
        "builds up speed and converges.",
        "0.26*(x**2 + y**2) - 0.48*x*y",
        (-10, 10),
        (-10, 10),
        (-8.0, 6.0),
        (_global(0.0, 0.0, 0.0),),
        Preset(
            (_gd(0.1, (-8.0, 6.0)), _momentum(0.1, 0.9, (-8.0, 6.0))),
            max_steps=1000,
            tolerance=1e-6,
            expect=("crawling", "converged"),
            camera=_camera(eye=(0.42, -1.58, 1.05), center=(0.0, 0.0, -0.1)),
        ),
    ),
    CatalogueEntry(
        "levi_n13",
        "Lévi N.13",
        "Ripples in every direction over a bowl with its minimum at (1, 1). Plain gradient "
        "descent stops in the first ripple it meets; momentum rolls over the ripples all the "
        "way to (1, 1). Shown on [−1, 3]², a window of SFU's [−10, 10]² where its 147 "
        "ripples can be seen.",
        "sin(3*pi*x)**2 + (x - 1)**2*(1 + sin(3*pi*y)**2) + (y - 1)**2*(1 + sin(2*pi*y)**2)",
        (-1, 3),
        (-1, 3),
        (-0.5, 2.8),
        _table(LEVI_N13),
        Preset(
            (_gd(0.005, (-0.5, 2.8)), _momentum(0.005, 0.9, (-0.5, 2.8))),
            max_steps=3000,
            tolerance=1e-6,
            expect=("converged", "converged"),
            camera=_camera(eye=(0.34, -1.48, 1.05), center=(-0.08, 0.1, -0.1)),
        ),
    ),
    CatalogueEntry(
        "mccormick",
        "McCormick",
        "A wavy, tilted trough on a rectangular domain with one global and one local "
        "minimum: a hiker starting at the top right settles in the local one; one starting "
        "at the top left finds the global one.",
        "sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        (-1.5, 4),
        (-3, 4),
        (3.0, 3.5),
        (
            _global(-0.5471975512, -1.547197551, -1.913222955),
            _local(2.594395102, 1.594395102, 1.228369699),
        ),
        Preset(
            (
                _gd(0.05, (3.0, 3.5), "From the top right"),
                _gd(0.05, (-1.0, 3.0), "From the top left"),
            ),
            max_steps=1000,
            tolerance=1e-6,
            expect=("converged", "converged"),
            camera=_camera(eye=(1.14, -1.2, 1.05), center=(-0.02, -0.04, -0.1)),
        ),
    ),
    CatalogueEntry(
        "easom",
        "Easom",
        "A vast flat plain with one narrow hole at (π, π), ringed by four dips ten thousand "
        "times shallower. Far from the hole the gradient is almost exactly zero: there plain "
        "gradient descent barely moves (it crawls), while Adam, whose step does not shrink "
        "with the gradient, walks into the nearest shallow dip. A hiker started at the rim of "
        "the hole falls in. Shown on [−20, 20]², a window of SFU's [−100, 100]² in which the "
        "hole is still a pinprick but can be drawn.",
        "-cos(x)*cos(y)*exp(-((x - pi)**2 + (y - pi)**2))",
        (-20, 20),
        (-20, 20),
        (4.5, 1.8),
        (
            _global(PI, PI, -1.0),
            _local(1.3049954504, 1.3049954504, -8.11022389157e-05),
            _local(4.9781898567, 1.3049954504, -8.11022389157e-05),
            _local(1.3049954504, 4.9781898567, -8.11022389157e-05),
            _local(4.9781898567, 4.9781898567, -8.11022389157e-05),
        ),
        Preset(
            (
                _gd(0.5, (4.5, 1.8), "Gradient descent at the rim"),
                _gd(1.0, (6.0, 6.0), "Gradient descent on the plain"),
                _adam(0.1, (6.0, 6.0), "Adam on the plain"),
            ),
            max_steps=1000,
            tolerance=1e-8,
            expect=("converged", "crawling", "converged"),
            camera=_camera(eye=(0.87, -0.75, 1.54), center=(0.06, 0.06, -0.1)),
        ),
    ),
]

CATALOGUE: dict[str, CatalogueEntry] = {entry.name: entry for entry in _ENTRIES}
