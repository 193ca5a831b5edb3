"""The request models of API.md's "Small networks": validating a request is checking the contract.

Every model forbids unknown fields and takes JSON's own types only (strict: "10" is
not a number, true is not 1; a float field takes an integer); bounds come from
``app.limits``; a request over a bound (network size, epochs, points, total work) is
a 422 naming the bound.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import limits, optim
from app.api.errors import field_error
from app.api.schemas import OptimizerSpec
from app.nets import datasets, gradcheck, landscape
from app.nets.mlp import ACTIVATIONS, MLP, layer_sizes
from app.nets.train import (
    DEFAULT_HYPERPARAMETERS,
    DEFAULT_OPTIMIZER,
    TrainSettings,
    batches_per_epoch,
    training_work,
    unit_values,
)

Number = Annotated[float, Field(allow_inf_nan=False)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="random seed")]
Activation = Literal[ACTIVATIONS]


def _strict(*examples: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": list(examples)})


def excerpt(text: str, limit: int = limits.MAX_ERROR_EXCERPT) -> str:
    """``text``, cut to ``limit`` characters: what an error message may quote of an input."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_magnitude(loc: tuple, values, what: str) -> None:
    bound = limits.MAX_DATA_MAGNITUDE
    for index, value in enumerate(values):
        if abs(value) > bound:
            raise field_error((*loc, index), f"{what} must be within ±{bound:g}", input_value=value)


def _check_weights(loc: tuple, values) -> None:
    """Explicit weights within ±MAX_DATA_MAGNITUDE: beyond it a network has diverged."""
    bound = limits.MAX_DATA_MAGNITUDE
    for index, value in enumerate(values):
        if abs(value) > bound:
            raise field_error(
                (*loc, index),
                f"weight {value:.3g} is beyond ±{bound:g} (MAX_DATA_MAGNITUDE): weights this "
                "large mean the network has diverged (its learning rate was too large), so "
                "its loss and gradient tell nothing; start it again",
                "diverged_weights",
                input_value=value,
            )


# --- Datasets ------------------------------------------------------------------


class DatasetSpec(BaseModel):
    """A named, generated dataset, or inline points ``{"x", "y", "task"}``."""

    model_config = _strict(
        {"name": "spiral", "n": 200, "noise": 0.1, "seed": 0, "test_fraction": 0.2},
        {"x": [[0, 0], [1, 1], [1, 0], [0, 1]], "y": [0, 0, 1, 1], "task": "classification"},
    )

    name: str | None = Field(None, description="circle, xor, gauss, spiral, moons, plane or sine")
    n: int = Field(
        200, ge=limits.MIN_DATASET_POINTS, le=limits.MAX_DATASET_POINTS, description="points"
    )
    noise: float = Field(
        0.1, ge=0, le=limits.MAX_DATASET_NOISE, allow_inf_nan=False, description="0 = clean"
    )
    seed: Seed = 0
    test_fraction: float | None = Field(
        None,
        ge=0,
        le=limits.MAX_TEST_FRACTION,
        allow_inf_nan=False,
        description="share held out for testing: 0.2 for a named dataset, 0 for inline points",
    )
    x: list[Annotated[list[Number], Field(min_length=2, max_length=2)]] | None = Field(
        None,
        min_length=limits.MIN_DATASET_POINTS,
        max_length=limits.MAX_DATASET_POINTS,
        description="inline points [[x1, x2], ...]",
    )
    y: list[Number] | None = Field(None, description="inline targets: 0/1 or real numbers")
    task: Literal["classification", "regression"] | None = None

    @model_validator(mode="after")
    def _check(self) -> DatasetSpec:
        if self.name is not None:
            for inline in ("x", "y", "task"):
                if inline in self.model_fields_set:
                    raise field_error((inline,), "give a dataset name or inline points, not both")
            if self.name not in datasets.DATASETS:
                raise field_error(
                    ("name",),
                    f"unknown dataset {excerpt(self.name)!r}; "
                    f"choose one of {', '.join(datasets.DATASETS)}",
                    input_value=excerpt(self.name),
                )
            return self
        for generated in ("n", "noise", "seed"):
            if generated in self.model_fields_set:
                raise field_error(
                    (generated,), f"{generated} applies to a named dataset, not inline points"
                )
        for required in ("x", "y", "task"):
            if getattr(self, required) is None:
                raise field_error(
                    (required,), "a dataset needs a name, or inline x, y and task", "missing"
                )
        if len(self.x) != len(self.y):
            raise field_error(("y",), f"y needs one target per point ({len(self.x)})")
        for index, point in enumerate(self.x):
            _check_magnitude(("x", index), point, "coordinates")
        _check_magnitude(("y",), self.y, "targets")
        if self.task == "classification":
            for index, label in enumerate(self.y):
                if label not in (0, 1):
                    raise field_error(
                        ("y", index), "classification labels must be 0 or 1", input_value=label
                    )
        return self

    @property
    def fraction(self) -> float:
        if self.test_fraction is not None:
            return self.test_fraction
        return 0.2 if self.name is not None else 0.0

    def task_of(self) -> str:
        """classification or regression, without generating the points."""
        return datasets.DATASETS[self.name].task if self.name is not None else self.task

    def sizes(self) -> tuple[int, int]:
        """(training points, test points)."""
        n = self.n if self.name is not None else len(self.y)
        n_test = int(n * self.fraction)
        return n - n_test, n_test

    def load(self) -> datasets.Split:
        if self.name is not None:
            data = datasets.generate(self.name, self.n, self.noise, self.seed)
        else:
            data = datasets.Data(_array(self.x), _array(self.y), self.task)
        return datasets.split(data, self.fraction, self.seed)


def _array(values) -> np.ndarray:
    return np.array(values, dtype=float)


# --- Networks ------------------------------------------------------------------


class LayerWeights(BaseModel):
    """One layer's weights: ``W`` of shape (fan_in, fan_out) and ``b`` of length fan_out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    W: list[list[Number]]
    b: list[Number]


class NetworkSpec(BaseModel):
    """``{"hidden": [8, 8], "activation": "tanh", "seed": 0}`` or explicit ``weights``."""

    model_config = _strict(
        {"hidden": [8, 8], "activation": "tanh", "seed": 0},
        {"weights": [{"W": [[0.5], [-0.5]], "b": [0.1]}], "activation": "linear"},
    )

    hidden: list[Annotated[int, Field(ge=1, le=limits.MAX_HIDDEN_UNITS)]] | None = Field(
        None, max_length=limits.MAX_HIDDEN_LAYERS, description="units in each hidden layer"
    )
    weights: list[LayerWeights] | None = Field(
        None,
        min_length=1,
        max_length=limits.MAX_HIDDEN_LAYERS + 1,
        description="explicit weights, hidden layers first, the output layer last",
    )
    activation: Activation = "tanh"
    seed: Seed = Field(0, description="seeds the initial weights (and minibatch shuffling)")

    @model_validator(mode="after")
    def _check(self) -> NetworkSpec:
        if self.weights is None:
            if self.hidden is None:
                self.hidden = [8, 8]
            return self
        if self.hidden is not None:
            raise field_error(("hidden",), "give hidden sizes or explicit weights, not both")
        if "seed" in self.model_fields_set:
            raise field_error(("seed",), "seed applies to hidden sizes, not explicit weights")
        fan_in = 2
        last = len(self.weights) - 1
        for index, layer in enumerate(self.weights):
            rows, loc = layer.W, ("weights", index, "W")
            if len(rows) != fan_in:
                raise field_error(loc, f"W of layer {index + 1} needs {fan_in} rows (fan_in)")
            fan_out = len(rows[0]) if rows else 0
            if fan_out == 0 or any(len(row) != fan_out for row in rows):
                raise field_error(loc, f"W of layer {index + 1} must be a non-empty rectangle")
            if index == last and fan_out != 1:
                raise field_error(loc, "the output layer has one unit: W must have one column")
            if index < last and fan_out > limits.MAX_HIDDEN_UNITS:
                raise field_error(
                    loc, f"a hidden layer has at most {limits.MAX_HIDDEN_UNITS} units"
                )
            if len(layer.b) != fan_out:
                raise field_error(
                    ("weights", index, "b"), f"b of layer {index + 1} needs {fan_out} entries"
                )
            for row_index, row in enumerate(rows):
                _check_weights((*loc, row_index), row)
            _check_weights(("weights", index, "b"), layer.b)
            fan_in = fan_out
        return self

    def sizes(self) -> list[int]:
        if self.weights is None:
            return layer_sizes(self.hidden)
        return [2] + [len(layer.b) for layer in self.weights]

    def parameters(self) -> int:
        sizes = self.sizes()
        return sum((nin + 1) * nout for nin, nout in zip(sizes[:-1], sizes[1:], strict=True))

    def build(self) -> MLP:
        if self.weights is None:
            return MLP.initialised(self.hidden, self.activation, self.seed)
        weights = [(_array(layer.W), _array(layer.b)) for layer in self.weights]
        return MLP(weights, self.activation)


# --- Requests ------------------------------------------------------------------


def _default_optimizer() -> OptimizerSpec:
    return OptimizerSpec(optimizer=DEFAULT_OPTIMIZER, **DEFAULT_HYPERPARAMETERS)


def _over_work(loc: tuple, work: int, fewer: str = "epochs, points, weights or grid points"):
    if work > limits.MAX_NETWORK_WORK:
        raise field_error(
            loc,
            f"this request needs about {work:.2g} weight×point evaluations; the bound is "
            f"{limits.MAX_NETWORK_WORK:.2g} (MAX_NETWORK_WORK): use fewer {fewer}",
            "work_bound",
        )


class TrainRequest(BaseModel):
    """``POST /api/train``: a dataset, a network, an optimizer and how long to train."""

    model_config = _strict(
        {
            "dataset": {"name": "spiral", "n": 200, "noise": 0.1},
            "network": {"hidden": [16, 16], "activation": "tanh", "seed": 0},
            "optimizer": {"optimizer": "adam", "lr": 0.03},
            "epochs": 300,
            "batch_size": None,
            "l2": 0,
            "record_every": 10,
            "boundary_resolution": 30,
        }
    )

    dataset: DatasetSpec
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    optimizer: OptimizerSpec = Field(
        default_factory=_default_optimizer, description="default: adam with lr 0.03"
    )
    epochs: int = Field(300, ge=limits.MIN_EPOCHS, le=limits.MAX_EPOCHS)
    batch_size: int | None = Field(
        None, ge=1, le=limits.MAX_DATASET_POINTS, description="null: full batch"
    )
    l2: float = Field(0.0, ge=0, le=limits.MAX_L2, allow_inf_nan=False)
    record_every: int = Field(1, ge=1, le=limits.MAX_RECORD_EVERY)
    boundary_resolution: int = Field(0, ge=0, le=limits.MAX_BOUNDARY_RESOLUTION)
    unit_resolution: int = Field(
        0,
        ge=0,
        le=limits.MAX_UNIT_RESOLUTION,
        description="maps of what each hidden unit computes, on a grid this fine (0: none)",
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> TrainRequest:
        self.check_steps()
        self.check_boundary_values()
        self.check_unit_values()
        self.check_work()
        return self

    def runs(self) -> int:
        """How many training runs the request makes (a fan makes one per learning rate)."""
        return 1

    def check_work(self) -> None:
        _over_work(("epochs",), self.work())

    def check_steps(self) -> None:
        n_train, _ = self.dataset.sizes()
        steps = self.epochs * batches_per_epoch(n_train, self.batch_size)
        if steps > limits.MAX_OPTIMIZER_STEPS:
            raise field_error(
                ("batch_size",),
                f"{steps} optimizer steps (epochs × minibatches) is over the bound of "
                f"{limits.MAX_OPTIMIZER_STEPS} (MAX_OPTIMIZER_STEPS): use bigger batches or "
                "fewer epochs",
                "work_bound",
            )

    def check_boundary_values(self) -> None:
        values = self.runs() * self.settings().recorded_epochs() * self.boundary_resolution**2
        if values > limits.MAX_BOUNDARY_VALUES:
            raise field_error(
                ("boundary_resolution",),
                f"{values} boundary values (recorded epochs × resolution²) is over the bound of "
                f"{limits.MAX_BOUNDARY_VALUES} (MAX_BOUNDARY_VALUES): raise record_every or "
                "lower the resolution",
                "work_bound",
            )

    def check_unit_values_per_record(self) -> None:
        values = unit_values(self.network.sizes(), self.unit_resolution)
        if values > limits.MAX_UNIT_VALUES_PER_RECORD:
            raise field_error(
                ("unit_resolution",),
                f"{values} unit map values in one record (hidden units × resolution²) is over "
                f"the bound of {limits.MAX_UNIT_VALUES_PER_RECORD} (MAX_UNIT_VALUES_PER_RECORD): "
                "lower the resolution",
                "work_bound",
            )

    def check_unit_values(self) -> None:
        self.check_unit_values_per_record()
        per_record = unit_values(self.network.sizes(), self.unit_resolution)
        values = self.runs() * self.settings().recorded_epochs() * per_record
        if values > limits.MAX_UNIT_VALUES:
            raise field_error(
                ("unit_resolution",),
                f"{values} unit map values (recorded epochs × hidden units × resolution²) is "
                f"over the bound of {limits.MAX_UNIT_VALUES} (MAX_UNIT_VALUES): raise "
                "record_every or lower the resolution",
                "work_bound",
            )

    def work(self) -> int:
        n_train, n_test = self.dataset.sizes()
        one = training_work(n_train, n_test, self.network.parameters(), self.settings())
        return self.runs() * one

    def settings(self) -> TrainSettings:
        return TrainSettings(
            optimizer=self.optimizer.optimizer,
            hyperparameters=self.optimizer.hyperparameters,
            epochs=self.epochs,
            batch_size=self.batch_size,
            l2=self.l2,
            record_every=self.record_every,
            boundary_resolution=self.boundary_resolution,
            unit_resolution=self.unit_resolution,
            seed=self.network.seed,
        )


class FanRequest(TrainRequest):
    """``POST /api/train/fan``: one network trained once per learning rate."""

    model_config = _strict(
        {
            "dataset": {"name": "spiral", "n": 200, "noise": 0.1},
            "network": {"hidden": [16, 16], "activation": "tanh", "seed": 0},
            "optimizer": {"optimizer": "sgd"},
            "epochs": 500,
            "record_every": 5,
            "lrs": [0.001, 0.01, 0.1, 1, 10],
        }
    )

    lrs: list[Annotated[float, Field(allow_inf_nan=False)]] = Field(
        min_length=limits.MIN_FAN_RATES,
        max_length=limits.MAX_FAN_RATES,
        description="the learning rates, one run each (they replace the optimizer's lr)",
    )

    @model_validator(mode="after")
    def _check_rates(self) -> FanRequest:
        for index, lr in enumerate(self.lrs):
            try:
                optim.resolve(self.optimizer.optimizer, {**self.public_hyperparameters(), "lr": lr})
            except optim.OptimizerSpecError as error:
                raise field_error(("lrs", index), error.message, "optimizer_spec", lr) from None
        return self

    def public_hyperparameters(self) -> dict:
        return optim.public_hyperparameters(self.optimizer.hyperparameters)

    def runs(self) -> int:
        return len(self.lrs)

    def check_work(self) -> None:
        _over_work(("lrs",), self.work(), "learning rates, epochs, points, weights or grid points")

    def settings_for(self, lr: float) -> TrainSettings:
        """The run at one learning rate: the same settings (and minibatch seed) otherwise."""
        hyperparameters = optim.resolve(
            self.optimizer.optimizer, {**self.public_hyperparameters(), "lr": lr}
        )
        return replace(self.settings(), hyperparameters=hyperparameters)


class LandscapeRequest(TrainRequest):
    """``POST /api/network/landscape``: a training run, then a slice of its loss surface."""

    model_config = _strict(
        {
            "dataset": {"name": "spiral", "n": 200},
            "network": {"hidden": [16, 16], "activation": "tanh"},
            "optimizer": {"optimizer": "adam", "lr": 0.03},
            "epochs": 300,
            "directions": "pca",
            "resolution": 31,
            "span": 1.0,
        }
    )

    directions: Literal["pca", "random"] = "pca"
    resolution: int = Field(
        31, ge=limits.MIN_LANDSCAPE_RESOLUTION, le=limits.MAX_LANDSCAPE_RESOLUTION
    )
    span: float = Field(
        1.0, gt=0, le=limits.MAX_LANDSCAPE_SPAN, allow_inf_nan=False, description="grid half-width"
    )

    @model_validator(mode="after")
    def _check_trajectory(self) -> LandscapeRequest:
        values = self.settings().recorded_epochs() * self.network.parameters()
        if values > limits.MAX_TRAJECTORY_VALUES:
            raise field_error(
                ("record_every",),
                f"keeping {values} weights of the trajectory is over the bound of "
                f"{limits.MAX_TRAJECTORY_VALUES} (MAX_TRAJECTORY_VALUES): raise record_every",
                "work_bound",
            )
        return self

    def check_boundary_values(self) -> None:
        pass  # the landscape returns the final network's boundary only

    def check_unit_values(self) -> None:
        if self.unit_resolution:
            raise field_error(("unit_resolution",), "the landscape has no unit maps: leave it 0")

    def work(self) -> int:
        n_train, n_test = self.dataset.sizes()
        parameters = self.network.parameters()
        settings = replace(self.settings(), boundary_resolution=0)
        path = settings.recorded_epochs()
        return (
            training_work(n_train, n_test, parameters, settings)
            + landscape.work(parameters, n_train, self.resolution, path)
            + parameters * self.boundary_resolution**2
        )


class GradientsRequest(BaseModel):
    """``POST /api/network/gradients``: backprop and finite differences for one network."""

    model_config = _strict(
        {
            "network": {"hidden": [4], "activation": "tanh", "seed": 0},
            "dataset": {"name": "xor", "n": 50},
            "epsilon": 1e-6,
        }
    )

    network: NetworkSpec = Field(default_factory=NetworkSpec)
    dataset: DatasetSpec
    epsilon: float = Field(
        1e-6,
        ge=limits.MIN_GRADCHECK_EPSILON,
        le=limits.MAX_GRADCHECK_EPSILON,
        allow_inf_nan=False,
        description="finite-difference step",
    )
    l2: float = Field(0.0, ge=0, le=limits.MAX_L2, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check_work(self) -> GradientsRequest:
        n_train, _ = self.dataset.sizes()
        _over_work(("network",), gradcheck.work(self.network.parameters(), n_train))
        return self


class BackpropRequest(BaseModel):
    """``POST /api/network/backprop``: one example's forward and backward pass."""

    model_config = _strict(
        {
            "network": {"hidden": [3, 2], "activation": "tanh", "seed": 0},
            "dataset": {"name": "xor"},
            "x": [1.5, -2.0],
            "y": 0,
        }
    )

    network: NetworkSpec = Field(default_factory=NetworkSpec)
    dataset: DatasetSpec = Field(
        description="says the task (and so the loss); its points are not used"
    )
    x: list[Number] = Field(min_length=2, max_length=2, description="the example's point [x1, x2]")
    y: Number = Field(description="its target: a label 0 or 1, or a number for regression")

    @model_validator(mode="after")
    def _check_example(self) -> BackpropRequest:
        _check_magnitude(("x",), self.x, "coordinates")
        if abs(self.y) > limits.MAX_DATA_MAGNITUDE:
            raise field_error(
                ("y",),
                f"the target must be within ±{limits.MAX_DATA_MAGNITUDE:g}",
                input_value=self.y,
            )
        if self.dataset.task_of() == "classification" and self.y not in (0, 1):
            raise field_error(("y",), "a classification label must be 0 or 1", input_value=self.y)
        return self


class ScalingRequest(BaseModel):
    """``POST /api/network/gradients/scaling``: backprop's cost against nudging's, measured
    for networks of ~10 to ~10⁴ weights."""

    model_config = _strict({"dataset": {"name": "spiral", "n": 200}, "activation": "tanh"})

    dataset: DatasetSpec = Field(description="whose training points each pass goes over")
    activation: Activation = "tanh"
