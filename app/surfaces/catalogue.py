"""The surfaces as data: a formula string plus the facts about it.

f, ∇f, the mesh and the LaTeX all come from the formula string, through the
same path a user's own formula takes (``formula.compile_formula``). Definitions
and domains follow Surjanovic & Bingham, "Virtual Library of Simulation
Experiments" (SFU), except where a description says otherwise. Every minimum
listed here is checked numerically by tests/test_catalogue.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    z: float
    is_global: bool

    def as_json(self) -> dict:
        return {"x": self.x, "y": self.y, "z": self.z, "global": self.is_global}


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


def _global(x: float, y: float, z: float) -> Minimum:
    return Minimum(x, y, z, True)


def _local(x: float, y: float, z: float) -> Minimum:
    return Minimum(x, y, z, False)


PI = 3.141592653589793

_ENTRIES = [
    CatalogueEntry(
        "himmelblau",
        "Himmelblau",
        "Four valleys of equal depth: where the hiker ends depends on where it starts.",
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
    ),
    CatalogueEntry(
        "rosenbrock",
        "Rosenbrock",
        "A long, curved, nearly flat valley: easy to find, slow to follow to its minimum "
        "at (1, 1). Plain gradient descent crawls; momentum and Adam do better.",
        "(1 - x)**2 + 100*(y - x**2)**2",
        (-2.048, 2.048),
        (-2.048, 2.048),
        (-1.2, 1.0),
        (_global(1.0, 1.0, 0.0),),
    ),
    CatalogueEntry(
        "bowl",
        "Round bowl",
        "The simplest cost, x² + y²: every step points straight at the bottom. "
        "With plain gradient descent a learning rate below 1 converges, 1 bounces for ever "
        "and above 1 diverges.",
        "x**2 + y**2",
        (-5, 5),
        (-5, 5),
        (-4.0, 3.0),
        (_global(0.0, 0.0, 0.0),),
    ),
    CatalogueEntry(
        "elongated_bowl",
        "Elongated bowl",
        "An ill-conditioned quadratic, 20 times steeper across than along: plain gradient "
        "descent zig-zags across the narrow direction while crawling along the long one; "
        "momentum smooths the zig-zag and shines.",
        "0.1*x**2 + 2*y**2",
        (-10, 10),
        (-4, 4),
        (-9.0, 3.0),
        (_global(0.0, 0.0, 0.0),),
    ),
    CatalogueEntry(
        "saddle",
        "Saddle",
        "x² − y²: downhill in y, uphill in x. The gradient vanishes at the centre, yet it "
        "is no minimum; a hiker slightly off the ridge slides away. There is no minimum at all.",
        "x**2 - y**2",
        (-2, 2),
        (-2, 2),
        (-1.8, 0.05),
        (),
    ),
    CatalogueEntry(
        "two_valleys",
        "Two valleys",
        "A deep valley on the left and a shallower one on the right: a hiker starting on the "
        "right settles in the local minimum and never sees the global one.",
        "(x**2 - 1)**2 + 0.3*x + y**2",
        (-2, 2),
        (-2, 2),
        (1.8, 1.5),
        (
            _global(-1.035578714, 0.0, -0.3054284837),
            _local(0.9601495555, 0.0, 0.294146481),
        ),
    ),
    CatalogueEntry(
        "rastrigin",
        "Rastrigin",
        "A bowl covered in regularly spaced bumps: a local minimum near every integer point. "
        "Gradient descent stops in the first dip it meets.",
        "20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        (-5.12, 5.12),
        (-5.12, 5.12),
        (2.3, 2.1),
        (
            _global(0.0, 0.0, 0.0),
            _local(0.9949586377, 0.0, 0.9949590571),
            _local(-0.9949586377, 0.0, 0.9949590571),
            _local(0.0, 0.9949586377, 0.9949590571),
            _local(0.0, -0.9949586377, 0.9949590571),
        ),
    ),
    CatalogueEntry(
        "ackley",
        "Ackley",
        "A nearly flat outer region with many small dips and one deep hole at the centre. "
        "Shown on [-5, 5]², a restriction of SFU's [-32.768, 32.768]² that the library allows.",
        "-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
        (-5, 5),
        (-5, 5),
        (2.6, -1.7),
        (
            _global(0.0, 0.0, 0.0),
            _local(0.952166546, 0.0, 2.579927557),
            _local(-0.952166546, 0.0, 2.579927557),
            _local(0.0, 0.952166546, 2.579927557),
            _local(0.0, -0.952166546, 2.579927557),
        ),
    ),
    CatalogueEntry(
        "beale",
        "Beale",
        "Sharp ridges and flat, curving valleys meeting at the minimum (3, 0.5); "
        "the scale changes by orders of magnitude across the domain.",
        "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        (-4.5, 4.5),
        (-4.5, 4.5),
        (1.0, 1.4),
        (_global(3.0, 0.5, 0.0),),
    ),
    CatalogueEntry(
        "booth",
        "Booth",
        "A tilted, stretched bowl (a quadratic) with its minimum at (1, 3).",
        "(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        (-10, 10),
        (-10, 10),
        (-8.0, -6.0),
        (_global(1.0, 3.0, 0.0),),
    ),
    CatalogueEntry(
        "goldstein_price",
        "Goldstein–Price",
        "A steep polynomial with several local minima; its global minimum is 3 at (0, −1).",
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
    ),
    CatalogueEntry(
        "six_hump_camel",
        "Six-hump camel",
        "Two global minima, mirror images of each other, and four local ones.",
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
    ),
    CatalogueEntry(
        "three_hump_camel",
        "Three-hump camel",
        "A global minimum at the origin flanked by two shallow local minima.",
        "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
        (-5, 5),
        (-5, 5),
        (2.5, -2.0),
        (
            _global(0.0, 0.0, 0.0),
            _local(1.747552346, -0.8737761729, 0.2986384422),
            _local(-1.747552346, 0.8737761729, 0.2986384422),
        ),
    ),
    CatalogueEntry(
        "styblinski_tang",
        "Styblinski–Tang",
        "Four valleys of different depths; the deepest is at (−2.9035, −2.9035).",
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
    ),
    CatalogueEntry(
        "matyas",
        "Matyas",
        "A flat, diagonal plate-shaped bowl: the gradient is small almost everywhere.",
        "0.26*(x**2 + y**2) - 0.48*x*y",
        (-10, 10),
        (-10, 10),
        (-8.0, 6.0),
        (_global(0.0, 0.0, 0.0),),
    ),
    CatalogueEntry(
        "levi_n13",
        "Lévi N.13",
        "Ripples in every direction over a bowl with its minimum at (1, 1).",
        "sin(3*pi*x)**2 + (x - 1)**2*(1 + sin(3*pi*y)**2) + (y - 1)**2*(1 + sin(2*pi*y)**2)",
        (-10, 10),
        (-10, 10),
        (-4.0, 5.0),
        (_global(1.0, 1.0, 0.0),),
    ),
    CatalogueEntry(
        "mccormick",
        "McCormick",
        "A wavy tilted trough on a rectangular domain; one global and one local minimum.",
        "sin(x + y) + (x - y)**2 - 1.5*x + 2.5*y + 1",
        (-1.5, 4),
        (-3, 4),
        (3.0, 3.5),
        (
            _global(-0.5471975512, -1.547197551, -1.913222955),
            _local(2.594395102, 1.594395102, 1.228369699),
        ),
    ),
    CatalogueEntry(
        "easom",
        "Easom",
        "A vast flat plain with one narrow hole at (π, π): far from it the gradient is "
        "almost exactly zero, so a hiker there cannot tell which way to go.",
        "-cos(x)*cos(y)*exp(-((x - pi)**2 + (y - pi)**2))",
        (-100, 100),
        (-100, 100),
        (4.5, 1.8),
        (_global(PI, PI, -1.0),),
    ),
]

CATALOGUE: dict[str, CatalogueEntry] = {entry.name: entry for entry in _ENTRIES}
