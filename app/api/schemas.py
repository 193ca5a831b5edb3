"""The request models of API.md: validating a request is checking the contract.

Bounds come from ``app.limits``; every model forbids unknown fields so a typo
is a 422, never silently ignored, and types are strict: "10" is not a number and
true is not 1 (a float field still takes an integer).

Validation only does cheap checks, on the event loop. A formula is compiled
later, by ``resolve_surface`` / ``compile_or_422``: in a worker process with a
time budget (app/surfaces/compiler.py), its minima found in a compute thread;
their refusals are 422s of the same shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from fastapi import Body
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from app import limits, optim, stability, surfaces
from app.api import compute
from app.api.errors import field_error
from app.surfaces.compiler import compiler
from app.surfaces.formula import check_characters

STRICT = ConfigDict(extra="forbid", strict=True)


def strict(**config) -> ConfigDict:
    """A model's config: unknown fields refused, strict types, plus ``config``."""
    return ConfigDict(STRICT, **config)


class OptimizerSpec(BaseModel):
    """A flat optimizer spec: ``{"optimizer": "adam", "lr": 0.05, "betas": [0.9, 0.99]}``.

    Omitted hyperparameters take torch.optim's defaults; one the optimizer does
    not have, or a value torch would refuse, is a 422 naming that field.
    After validation ``hyperparameters`` holds every value, defaults filled in.
    """

    model_config = ConfigDict(
        extra="allow",  # the hyperparameters, checked (strictly) by optim.resolve
        strict=True,
        json_schema_extra={"examples": [{"optimizer": "adam", "lr": 0.05}]},
    )

    optimizer: str = Field(description="sgd, adagrad, rmsprop, adam or adamw")

    # Fields of a subclass that are not hyperparameters (a run's start and label).
    _own_fields: frozenset[str] = frozenset({"optimizer"})

    @model_validator(mode="after")
    def _resolve(self) -> OptimizerSpec:
        given = {k: v for k, v in (self.model_extra or {}).items()}
        try:
            hyper = optim.resolve(self.optimizer, given)
        except optim.OptimizerSpecError as error:
            value = self.optimizer if error.field == "optimizer" else given.get(error.field)
            raise field_error((error.field,), error.message, "optimizer_spec", value) from None
        self._hyperparameters = hyper
        return self

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """Every hyperparameter of the optimizer, torch's defaults filled in."""
        return self._hyperparameters


Finite = Annotated[float, Field(allow_inf_nan=False)]
Point = Annotated[list[Finite], Field(min_length=2, max_length=2, description="a point [x, y]")]
Range = Annotated[
    list[float], Field(min_length=2, max_length=2, description="a range [lo, hi] with lo < hi")
]


def check_range(loc: tuple, value: list[float]) -> None:
    """A range is [lo, hi], finite, lo < hi, within the range bound."""
    lo, hi = value
    bound = limits.MAX_RANGE_MAGNITUDE
    if not (abs(lo) <= bound and abs(hi) <= bound):
        raise field_error(
            loc, f"range ends must be finite and within ±{bound:g}", input_value=value
        )
    if not lo < hi:
        raise field_error(loc, f"a range needs lo < hi; got [{lo:g}, {hi:g}]", input_value=value)


# --- Surfaces -------------------------------------------------------------------


class FormulaSurface(BaseModel):
    """A user's surface: ``{"formula": "x**2 + y**2", "x_range": [-3, 3], "y_range": [-3, 3]}``."""

    model_config = strict(
        json_schema_extra={
            "examples": [{"formula": "x**2 + 3*y**2", "x_range": [-3, 3], "y_range": [-3, 3]}]
        },
    )

    formula: str = Field(description=f"at most {limits.MAX_FORMULA_LENGTH} characters")
    x_range: Range = [-5.0, 5.0]
    y_range: Range = [-5.0, 5.0]

    @model_validator(mode="after")
    def _check(self) -> FormulaSurface:
        check_range(("x_range",), self.x_range)
        check_range(("y_range",), self.y_range)
        check_formula_text(self.formula, ("formula",))
        return self


def check_formula_text(text: str, loc: tuple) -> None:
    """The cheap part of a formula's checks (length, characters), at validation."""
    try:
        check_characters(text)
    except surfaces.FormulaError as error:
        raise field_error(
            loc, error.message, "formula_error", text, position=error.position
        ) from None


def formula_422(error: surfaces.FormulaError, loc: tuple, text: str) -> RequestValidationError:
    """A refused formula as FastAPI's 422: ``formula_error`` with ``ctx.position`` where
    there is one, or ``formula_too_complex``."""
    detail = {"type": error.error_type, "loc": loc, "msg": error.message, "input": text}
    if error.position is not None:
        detail["ctx"] = {"position": error.position}
    return RequestValidationError([detail])


async def compile_or_422(text: str, loc: tuple) -> surfaces.Formula:
    """A user's formula compiled off the event loop, within its budget, or a 422 at ``loc``."""
    try:
        return await compiler.compile(text)
    except surfaces.FormulaError as error:
        raise formula_422(error, loc, text) from None


def _surface_spec(value: Any, handler) -> str | FormulaSurface:
    if isinstance(value, str):
        if value not in surfaces.CATALOGUE:
            raise PydanticCustomError(
                "unknown_surface",
                "unknown surface '{name}'; choose one of {names}",
                {"name": value, "names": ", ".join(surfaces.CATALOGUE)},
            )
        return value
    if isinstance(value, dict | FormulaSurface):
        return FormulaSurface.model_validate(value)
    raise PydanticCustomError(
        "surface_type",
        "a surface is a catalogue name or a formula object {{formula, x_range, y_range}}",
    )


SurfaceSpec = Annotated[
    str | FormulaSurface,
    WrapValidator(_surface_spec),
    Field(description="a catalogue name, or a formula object", examples=["himmelblau"]),
]


async def resolve_surface(
    spec: str | FormulaSurface, loc: tuple = ("body", "surface")
) -> surfaces.Surface:
    """The Surface of a validated spec: a catalogue surface, or a user's formula compiled
    off the loop (compile_or_422) and put on its domain, minima found, in a compute
    thread. Never runs SymPy on the event loop; a refusal is a 422 at ``loc``."""
    if isinstance(spec, str):
        # Compiled at start-up: no hand-off to a worker (the ghost path asks many times a second).
        built = surfaces.built_catalogue_surface(spec)
        return built or await compute.run(surfaces.from_catalogue, spec)
    formula_loc = (*loc, "formula")
    formula = await compile_or_422(spec.formula, formula_loc)
    domain = (tuple(spec.x_range), tuple(spec.y_range))
    try:
        return await compute.run(surfaces.on_domain, formula, *domain)
    except surfaces.FormulaError as error:
        raise formula_422(error, formula_loc, spec.formula) from None


def surface_json(spec: str | FormulaSurface) -> str | dict:
    """The surface spec as echoed back (a formula object with its ranges filled in)."""
    return spec if isinstance(spec, str) else spec.model_dump()


class WithSurface(BaseModel):
    """A request on a surface (resolved by the endpoint with ``resolve_surface``)."""

    model_config = STRICT

    surface: SurfaceSpec


class FormulaRequest(BaseModel):
    model_config = strict(
        json_schema_extra={"examples": [{"formula": "sin(x) * cos(y) + x^2 / 10"}]}
    )
    formula: str = Field(description=f"at most {limits.MAX_FORMULA_LENGTH} characters")

    @model_validator(mode="after")
    def _check(self) -> FormulaRequest:
        check_formula_text(self.formula, ("formula",))
        return self


class MeshRequest(WithSurface):
    model_config = strict(
        json_schema_extra={"examples": [{"surface": "himmelblau", "resolution": 100}]},
    )
    resolution: int = Field(100, ge=limits.MIN_MESH_RESOLUTION, le=limits.MAX_MESH_RESOLUTION)


class EvaluateRequest(WithSurface):
    model_config = strict(
        json_schema_extra={"examples": [{"surface": "rosenbrock", "points": [[0, 0], [1, 1]]}]},
    )
    points: list[Point] = Field(max_length=limits.MAX_EVALUATE_POINTS)


# --- Descent --------------------------------------------------------------------


class RunSpec(OptimizerSpec):
    """An optimizer spec plus ``start`` (required) and ``label``."""

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={
            "examples": [{"optimizer": "adam", "lr": 0.05, "start": [-1, 4], "label": "Adam"}]
        },
    )
    start: Point
    label: str | None = Field(None, max_length=100)


class DescentRequest(WithSurface):
    model_config = strict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "himmelblau",
                    "runs": [
                        {"optimizer": "adam", "lr": 0.05, "start": [-1, 4], "label": "Adam"},
                        {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "start": [-1, 4]},
                    ],
                    "max_steps": 500,
                    "tolerance": 1e-6,
                }
            ]
        },
    )
    runs: list[RunSpec] = Field(min_length=1, max_length=limits.MAX_RUNS)
    max_steps: int = Field(500, ge=1, le=limits.MAX_STEPS)
    tolerance: float = Field(1e-6, ge=0, allow_inf_nan=False)
    gradient_noise: float = Field(0.0, ge=0, le=limits.MAX_GRADIENT_NOISE, allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _check_work(self) -> DescentRequest:
        points = len(self.runs) * self.max_steps
        if points > limits.MAX_PATH_POINTS:
            raise field_error(
                ("max_steps",),
                f"runs × max_steps is {points:,}; at most {limits.MAX_PATH_POINTS:,} path points "
                "per request (fewer runs or fewer steps)",
                input_value=self.max_steps,
            )
        return self


def unusable_starts(surface: surfaces.Surface, starts: np.ndarray) -> list[str | None]:
    """Why each start (n, 2) cannot be run on ``surface`` (outside the divergence box, or f
    or ∇f not finite there), or None (numpy work on a compiled formula: run it in a
    compute thread)."""
    inside = surface.in_divergence_box(starts[:, 0], starts[:, 1])
    z, gx, gy = surface.formula.value_and_gradient(starts[:, 0], starts[:, 1])
    finite = np.isfinite(z) & np.isfinite(gx) & np.isfinite(gy)
    reasons: list[str | None] = []
    for index in range(len(starts)):
        if not inside[index]:
            reasons.append(
                "the start is outside the divergence box (50 domain spans from the centre)"
            )
        elif not finite[index]:
            reasons.append("f or its gradient is not finite at the start; pick another point")
        else:
            reasons.append(None)
    return reasons


def start_errors(body: DescentRequest, surface: surfaces.Surface) -> list[dict]:
    """The 422 details of starts outside the divergence box or where f or ∇f is not
    finite (run it in a compute thread)."""
    starts = np.array([run.start for run in body.runs], dtype=float)
    errors = []
    reasons = unusable_starts(surface, starts)
    for index, (run, message) in enumerate(zip(body.runs, reasons, strict=True)):
        if message is not None:
            loc = ("body", "runs", index, "start")
            errors.append({"type": "value_error", "loc": loc, "msg": message, "input": run.start})
    return errors


async def check_starts(body: DescentRequest, surface: surfaces.Surface) -> None:
    """A 422 naming every start that cannot be run on ``surface``."""
    errors = await compute.run(start_errors, body, surface)
    if errors:
        raise RequestValidationError(errors)


class BasinsRequest(WithSurface):
    model_config = strict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "himmelblau",
                    "optimizer": {"optimizer": "sgd", "lr": 0.01},
                    "resolution": 64,
                    "max_steps": 500,
                }
            ]
        },
    )
    optimizer: OptimizerSpec
    resolution: int = Field(64, ge=limits.MIN_BASIN_RESOLUTION, le=limits.MAX_BASIN_RESOLUTION)
    max_steps: int = Field(500, ge=1, le=limits.MAX_BASIN_STEPS)
    tolerance: float = Field(1e-6, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check_work(self) -> BasinsRequest:
        work = self.resolution**2 * self.max_steps
        if work > limits.MAX_BASIN_WORK:
            raise field_error(
                ("max_steps",),
                f"resolution² × max_steps is {work:,}; at most {limits.MAX_BASIN_WORK:,} "
                "(a coarser grid or fewer steps)",
                input_value=self.max_steps,
            )
        return self


# --- Stability maps and curvature -------------------------------------------------


class StabilityAxis(BaseModel):
    """One axis of a stability map: ``count`` values of one hyperparameter from ``min`` to
    ``max`` (both included), evenly spaced on a linear or a log scale."""

    model_config = strict(
        json_schema_extra={
            "examples": [{"name": "lr", "min": 1e-4, "max": 2, "count": 64, "scale": "log"}]
        }
    )

    name: str = Field(
        max_length=40,
        description="a numeric hyperparameter of the optimizer; beta1 and beta2 for betas",
    )
    min: Finite
    max: Finite
    count: int = Field(64, ge=limits.MIN_STABILITY_COUNT, le=limits.MAX_STABILITY_COUNT)
    scale: Literal["linear", "log"] = "linear"

    @model_validator(mode="after")
    def _check(self) -> StabilityAxis:
        if not self.min < self.max:
            raise field_error(
                ("max",),
                f"an axis needs min < max; got {self.min:g} and {self.max:g}",
                input_value=self.max,
            )
        if self.scale == "log" and self.min <= 0:
            raise field_error(
                ("min",), "a log axis needs min > 0 (use a linear one from 0)", input_value=self.min
            )
        return self

    def axis(self, label: str) -> stability.Axis:
        values = stability.axis_values(self.min, self.max, self.count, self.scale)
        return stability.Axis(label, self.name, values)


class FixedOptimizerSpec(BaseModel):
    """An optimizer spec whose hyperparameters are checked together with a grid's values
    (by ``StabilityRequest``): ``nesterov`` may need the momentum an axis gives."""

    model_config = ConfigDict(
        extra="allow",  # the hyperparameters, checked by stability.check_grid
        strict=True,
        json_schema_extra={"examples": [{"optimizer": "sgd"}]},
    )

    optimizer: str = Field(description="sgd, adagrad, rmsprop, adam or adamw")

    @property
    def fixed(self) -> dict[str, Any]:
        """The hyperparameters it gives (the grid's axes replace theirs)."""
        return dict(self.model_extra or {})


class StabilityRequest(WithSurface):
    model_config = strict(
        json_schema_extra={
            "examples": [
                {
                    "surface": "elongated_bowl",
                    "start": [-9, 3],
                    "optimizer": {"optimizer": "sgd"},
                    "x": {"name": "lr", "min": 0.01, "max": 1.2, "count": 32, "scale": "log"},
                    "y": {"name": "momentum", "min": 0, "max": 0.95, "count": 32},
                    "max_steps": 500,
                    "tolerance": 1e-6,
                }
            ]
        },
    )
    start: Point
    optimizer: FixedOptimizerSpec
    x: StabilityAxis
    y: StabilityAxis
    max_steps: int = Field(500, ge=1, le=limits.MAX_STABILITY_STEPS)
    tolerance: float = Field(1e-6, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> StabilityRequest:
        work = self.x.count * self.y.count * self.max_steps
        if work > limits.MAX_STABILITY_WORK:
            raise field_error(
                ("max_steps",),
                f"x count × y count × max_steps is {work:,}; at most "
                f"{limits.MAX_STABILITY_WORK:,} (a coarser grid or fewer steps)",
                input_value=self.max_steps,
            )
        x, y = self.axes()
        try:
            stability.check_grid(self.optimizer.optimizer, self.optimizer.fixed, x, y)
        except stability.GridError as error:
            raise field_error(error.loc, error.message, "optimizer_spec", error.value) from None
        return self

    def axes(self) -> tuple[stability.Axis, stability.Axis]:
        return self.x.axis("x"), self.y.axis("y")


class CurvatureRequest(WithSurface):
    model_config = strict(
        json_schema_extra={
            "examples": [{"surface": "elongated_bowl", "points": [[-9, 3], [0, 0]]}]
        },
    )
    points: list[Point] = Field(max_length=limits.MAX_CURVATURE_POINTS)


def with_examples(model: type[BaseModel]) -> Any:
    """``Body(...)`` carrying a model's examples into the OpenAPI request body (for /docs)."""
    examples = model.model_config.get("json_schema_extra", {}).get("examples", [])
    return Body(
        openapi_examples={f"example {i + 1}": {"value": value} for i, value in enumerate(examples)}
    )
