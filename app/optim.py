"""torch.optim's update rules, written once on numpy arrays of any shape.

Each optimizer is the single-tensor ("for-loop") implementation of torch.optim
2.x, line for line: same defaults, same validation, same order of operations,
same state names (``step``, ``momentum_buffer``, ``sum``, ``square_avg``,
``grad_avg``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``).

Shared by the hikers (one ``(2, runs)`` array, a column per hiker, where the
numeric hyperparameters may be ``(1, runs)`` rows so every hiker has its own
learning rate) and the networks (a list of weight arrays).

Usage::

    hyper = resolve("adam", {"lr": 0.05})
    opt = Optimizer("adam", hyper, [params])
    opt.step([params], [grads])     # updates params in place
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app import limits


@dataclass(frozen=True)
class Hyperparameter:
    default: Any
    minimum: float | None
    maximum: float | None
    description: str
    kind: str = "number"  # "number", "boolean" or "pair" (two numbers, as Adam's betas)


@dataclass(frozen=True)
class OptimizerInfo:
    name: str
    title: str
    description: str
    hyperparameters: dict[str, Hyperparameter]
    init: Callable[[np.ndarray, dict], dict]
    # update(param, grad, state, hyperparameters, scratch): param and state in place
    update: Callable[[np.ndarray, np.ndarray, dict, dict, dict], None]
    # Hyperparameters whose value picks a branch of the algorithm (torch tests
    # `if momentum != 0`): runs batched together must agree on these.
    switches: tuple[str, ...] = ()
    # Whether ``update`` takes ``out=``, where the new param goes (param only read).
    writes_out: bool = False


class OptimizerSpecError(ValueError):
    """A bad optimizer spec; ``field`` names the offending hyperparameter."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _any_nonzero(value) -> bool:
    """Whether a hyperparameter (a number, or a row of per-run values) is nonzero anywhere."""
    if isinstance(value, float):  # the usual case, tested every step: keep it quick
        return value != 0
    return bool(np.any(value != 0))


# Every update below is written in place, into the optimizer's state and scratch arrays
# (``work``: a dict of buffers shaped like the parameter, kept from step to step), with
# the operations of torch's formula in torch's order: each out= call rounds exactly as
# the expression it replaces, so the numbers are those of the plain expressions. A
# hiker's step costs ~50 flops, so the per-call cost of numpy is all there is to save:
# the numbers an update uses at every step are made from the hyperparameters once
# (``_operands``), and a Python float among them becomes a 0-d array, since numpy
# converts a Python number operand on every call, which costs about as much as an
# operation on a hiker's array.


def _operand(value):
    """A hyperparameter (or a number made of them) as a numpy operand."""
    return np.array(value) if isinstance(value, float) else value


def _operands(work: dict, h: dict, derive: Callable[[dict], dict]) -> dict:
    """``derive(h)``, the operands of an update, made once for the hyperparameters ``h``
    (again when they are replaced: ``Optimizer.set_hyperparameters``)."""
    cached = work.get("operands")
    if cached is None or cached[0] is not h:
        cached = work["operands"] = (h, derive(h))
    return cached[1]


def _buffer(work: dict, name: str, like: np.ndarray) -> np.ndarray:
    """The scratch array ``name``, shaped like the parameter ``like``."""
    buffer = work.get(name)
    if buffer is None:
        buffer = work[name] = np.empty_like(like)
    return buffer


def _plus_scaled(grad: np.ndarray, scale, param: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``grad + scale * param`` (coupled weight decay) into ``out``; the caller's gradient
    is never written (the descent records it)."""
    np.multiply(param, scale, out=out)
    out += grad
    return out


def _lerp_weight(weight) -> tuple:
    """How ``_lerp_into`` takes ``weight``: torch.lerp computes ``start + w(end − start)``
    from the nearer end, so (True, w) when |w| < 0.5, else (False, 1 − w), as operands;
    (None, weight) for a row of per-run weights."""
    if not isinstance(weight, float):
        return None, weight
    if abs(weight) < 0.5:
        return True, _operand(weight)
    return False, _operand(1 - weight)


def _lerp(start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """torch.lerp with a row of per-run weights, each from its nearer end."""
    weight = np.asarray(weight)
    return np.where(
        np.abs(weight) < 0.5, start + weight * (end - start), end - (end - start) * (1 - weight)
    )


def _lerp_into(start: np.ndarray, end: np.ndarray, weight: tuple, scratch: np.ndarray) -> None:
    """``start ← torch.lerp(start, end, w)`` in place; ``weight`` is ``_lerp_weight(w)``."""
    from_start, factor = weight
    if from_start is None:
        start[...] = _lerp(start, end, factor)
        return
    np.subtract(end, start, out=scratch)
    scratch *= factor
    if from_start:
        start += scratch
    else:
        np.subtract(end, scratch, out=start)


def _decay_operands(h: dict) -> dict:
    """Coupled weight decay, g ← g + λθ, as SGD, Adagrad, RMSprop and Adam take it."""
    return {"decay": _any_nonzero(h["weight_decay"]), "weight_decay": _operand(h["weight_decay"])}


# --- SGD ---------------------------------------------------------------------


def _sgd_init(param: np.ndarray, h: dict) -> dict:
    return {"momentum_buffer": None}


def _sgd_operands(h: dict) -> dict:
    return {
        **_decay_operands(h),
        "with_momentum": _any_nonzero(h["momentum"]),
        "momentum": _operand(h["momentum"]),
        "undamped": _operand(1 - h["dampening"]),
        "lr": _operand(h["lr"]),
    }


def _sgd_update(param: np.ndarray, grad: np.ndarray, state: dict, h: dict, work: dict) -> None:
    """
    g ← g + λθ                          (weight_decay λ ≠ 0)
    b ← g on the first step, else μb + (1 − τ)g      (momentum μ ≠ 0, dampening τ)
    g ← g + μb if nesterov else b
    θ ← θ − γg
    """
    c = _operands(work, h, _sgd_operands)
    if c["decay"]:
        grad = _plus_scaled(grad, c["weight_decay"], param, _buffer(work, "grad", param))
    scratch = _buffer(work, "scratch", param)
    if c["with_momentum"]:
        buf = state["momentum_buffer"]
        if buf is None:
            buf = state["momentum_buffer"] = grad.copy()
        else:
            buf *= c["momentum"]
            np.multiply(grad, c["undamped"], out=scratch)
            buf += scratch
        if h["nesterov"]:
            grad = _plus_scaled(grad, c["momentum"], buf, _buffer(work, "nesterov", param))
        else:
            grad = buf
    np.multiply(grad, c["lr"], out=scratch)
    param -= scratch


# --- Adagrad -----------------------------------------------------------------


def _adagrad_init(param: np.ndarray, h: dict) -> dict:
    return {"step": 0.0, "sum": np.full_like(param, h["initial_accumulator_value"])}


def _adagrad_operands(h: dict) -> dict:
    return {**_decay_operands(h), "eps": _operand(h["eps"])}


def _adagrad_update(param: np.ndarray, grad: np.ndarray, state: dict, h: dict, work: dict) -> None:
    """
    g ← g + λθ;  γ̃ ← γ / (1 + (t − 1)η)
    sum ← sum + g²
    θ ← θ − γ̃ g / (√sum + ε)
    """
    state["step"] += 1
    step = state["step"]
    c = _operands(work, h, _adagrad_operands)
    if c["decay"]:
        grad = _plus_scaled(grad, c["weight_decay"], param, _buffer(work, "grad", param))
    clr = h["lr"] / (1 + (step - 1) * h["lr_decay"])
    state_sum = state["sum"]
    scratch = _buffer(work, "scratch", param)
    np.multiply(grad, grad, out=scratch)
    state_sum += scratch
    np.sqrt(state_sum, out=scratch)  # std = √sum + ε
    scratch += c["eps"]
    np.divide(grad, scratch, out=scratch)
    scratch *= clr
    param -= scratch


# --- RMSprop -----------------------------------------------------------------


def _rmsprop_init(param: np.ndarray, h: dict) -> dict:
    return {"step": 0.0, "square_avg": np.zeros_like(param)}


def _rmsprop_operands(h: dict) -> dict:
    alpha = h["alpha"]
    return {
        **_decay_operands(h),
        "alpha": _operand(alpha),
        "one_minus_alpha": _operand(1 - alpha),
        "lerp": _lerp_weight(1 - alpha),
        "eps": _operand(h["eps"]),
        "with_momentum": _any_nonzero(h["momentum"]),
        "momentum": _operand(h["momentum"]),
        "lr": _operand(h["lr"]),
    }


def _rmsprop_update(param: np.ndarray, grad: np.ndarray, state: dict, h: dict, work: dict) -> None:
    """
    g ← g + λθ
    v ← αv + (1 − α)g²
    (centered)  ḡ ← lerp(ḡ, g, 1 − α);  ṽ ← v − ḡ²   else ṽ ← v
    b ← μb + g / (√ṽ + ε);  θ ← θ − γb    (momentum μ > 0)
    θ ← θ − γ g / (√ṽ + ε)                 (otherwise)
    """
    state["step"] += 1
    c = _operands(work, h, _rmsprop_operands)
    if c["decay"]:
        grad = _plus_scaled(grad, c["weight_decay"], param, _buffer(work, "grad", param))
    scratch, avg = _buffer(work, "scratch", param), _buffer(work, "avg", param)
    square_avg = state["square_avg"]
    square_avg *= c["alpha"]
    np.multiply(grad, c["one_minus_alpha"], out=scratch)
    scratch *= grad
    square_avg += scratch
    if h["centered"]:
        grad_avg = state.setdefault("grad_avg", np.zeros_like(param))
        _lerp_into(grad_avg, grad, c["lerp"], scratch)
        np.multiply(grad_avg, grad_avg, out=avg)
        np.subtract(square_avg, avg, out=avg)
        np.sqrt(avg, out=avg)
    else:
        np.sqrt(square_avg, out=avg)
    avg += c["eps"]
    np.divide(grad, avg, out=scratch)  # g / (√ṽ + ε)
    if c["with_momentum"]:
        buf = state.setdefault("momentum_buffer", np.zeros_like(param))
        buf *= c["momentum"]
        buf += scratch
        np.multiply(buf, c["lr"], out=scratch)
    else:
        scratch *= c["lr"]
    param -= scratch


# --- Adam and AdamW ----------------------------------------------------------


def _adam_init(param: np.ndarray, h: dict) -> dict:
    return {"step": 0.0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}


def _bias_corrections(beta1, beta2, step: float, work: dict) -> tuple:
    """1 − β₁ᵗ and √(1 − β₂ᵗ) as torch computes them: with Python floats (libm's pow).

    For rows of per-run betas, each distinct value is raised the same way: numpy's
    power would take shortcuts (β² as β·β, √ for the power 0.5) or its own pow, which
    differ from libm's in the last digit, and a run in a batch must follow the path it
    follows alone. A grid of runs has few distinct betas; they are found once.
    """
    if isinstance(beta1, float) and isinstance(beta2, float):
        return 1 - beta1**step, (1 - beta2**step) ** 0.5
    cached = work.get("distinct_betas")
    if cached is None or cached[0] is not beta1 or cached[1] is not beta2:
        pairs = np.broadcast_arrays(np.asarray(beta1), np.asarray(beta2))
        distinct, where = np.unique(np.stack(pairs).reshape(2, -1), axis=1, return_inverse=True)
        cached = work["distinct_betas"] = (beta1, beta2, distinct.T.tolist(), where, pairs[0].shape)
    _, _, distinct, where, shape = cached
    values = np.array([(1 - b1**step, (1 - b2**step) ** 0.5) for b1, b2 in distinct])
    return values[where, 0].reshape(shape), values[where, 1].reshape(shape)


def _adam_operands(h: dict) -> dict:
    beta1, beta2 = h["betas"]
    return {
        **_decay_operands(h),
        "shrink": _operand(1 - h["lr"] * h["weight_decay"]),  # AdamW's θ(1 − γλ)
        "lerp": _lerp_weight(1 - beta1),
        "beta2": _operand(beta2),
        "one_minus_beta2": _operand(1 - beta2),
        "eps": _operand(h["eps"]),
    }


def _adam_family_update(
    param, grad, state, h, work, decoupled_weight_decay: bool, out=None
) -> None:
    """
    g ← g + λθ            (Adam)      θ ← θ(1 − γλ)      (AdamW)
    m ← lerp(m, g, 1 − β₁);   v ← β₂v + (1 − β₂)g²
    v̂ ← max(v̂, v) with amsgrad, else v
    θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

    The new θ goes to ``out`` when given (``param`` is then only read).
    """
    state["step"] += 1
    step = state["step"]
    c = _operands(work, h, _adam_operands)
    out = param if out is None else out
    if c["decay"]:
        if decoupled_weight_decay:
            param = np.multiply(param, c["shrink"], out=out)
        else:
            grad = _plus_scaled(grad, c["weight_decay"], param, _buffer(work, "grad", param))
    scratch, denom = _buffer(work, "scratch", param), _buffer(work, "denom", param)
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    _lerp_into(exp_avg, grad, c["lerp"], scratch)
    exp_avg_sq *= c["beta2"]
    np.multiply(grad, c["one_minus_beta2"], out=scratch)
    scratch *= grad
    exp_avg_sq += scratch
    bias_correction1, bias_correction2_sqrt = _bias_corrections(*h["betas"], step, work)
    step_size = h["lr"] / bias_correction1
    if h["amsgrad"]:
        max_exp_avg_sq = state.setdefault("max_exp_avg_sq", np.zeros_like(param))
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        np.sqrt(max_exp_avg_sq, out=denom)
    else:
        np.sqrt(exp_avg_sq, out=denom)
    denom /= bias_correction2_sqrt
    denom += c["eps"]
    np.divide(exp_avg, denom, out=denom)
    denom *= step_size
    np.subtract(param, denom, out=out)


def _adam_update(param, grad, state, h, work, out=None) -> None:
    _adam_family_update(param, grad, state, h, work, decoupled_weight_decay=False, out=out)


def _adamw_update(param, grad, state, h, work, out=None) -> None:
    _adam_family_update(param, grad, state, h, work, decoupled_weight_decay=True, out=out)


# --- The catalogue -----------------------------------------------------------

_LR_MAX = limits.MAX_LEARNING_RATE


def _lr(default: float) -> Hyperparameter:
    return Hyperparameter(default, 0.0, _LR_MAX, "learning rate γ: how far each step moves")


_WEIGHT_DECAY_COUPLED = "L2 penalty λ added to the gradient as λθ"
_EPS = "ε added to the denominator so it is never zero"
_ADAM_HYPER = {
    "betas": Hyperparameter(
        (0.9, 0.999),
        0.0,
        1.0,
        "β₁, β₂ in [0, 1): decay rates of the gradient's running mean and of its square",
        "pair",
    ),
    "eps": Hyperparameter(1e-8, 0.0, 1.0, _EPS),
    "amsgrad": Hyperparameter(
        False,
        None,
        None,
        "AMSGrad: divide by the largest squared-gradient average so far",
        "boolean",
    ),
}

OPTIMIZERS: dict[str, OptimizerInfo] = {
    info.name: info
    for info in [
        OptimizerInfo(
            "sgd",
            "Gradient descent (SGD)",
            "Step against the gradient, θ ← θ − γ∇f; with momentum it keeps a running velocity.",
            {
                "lr": _lr(0.001),
                "momentum": Hyperparameter(
                    0.0, 0.0, 1.0, "momentum μ: how much of the previous step's velocity is kept"
                ),
                "dampening": Hyperparameter(
                    0.0, 0.0, 1.0, "dampening τ: scales the new gradient by (1 − τ) in the velocity"
                ),
                "nesterov": Hyperparameter(
                    False,
                    None,
                    None,
                    "Nesterov momentum: look ahead along the velocity (needs momentum > 0, "
                    "dampening 0)",
                    "boolean",
                ),
                "weight_decay": Hyperparameter(0.0, 0.0, 100.0, _WEIGHT_DECAY_COUPLED),
            },
            _sgd_init,
            _sgd_update,
            switches=("momentum", "nesterov"),
        ),
        OptimizerInfo(
            "adagrad",
            "AdaGrad",
            "Divides each coordinate's step by the root of its summed squared gradients: "
            "steep directions slow down, and every step shrinks over time.",
            {
                "lr": _lr(0.01),
                "lr_decay": Hyperparameter(
                    0.0, 0.0, 1000.0, "learning-rate decay η: γ / (1 + (t − 1)η)"
                ),
                "weight_decay": Hyperparameter(0.0, 0.0, 100.0, _WEIGHT_DECAY_COUPLED),
                "initial_accumulator_value": Hyperparameter(
                    0.0, 0.0, 1000.0, "starting value of the summed squared gradients"
                ),
                "eps": Hyperparameter(1e-10, 0.0, 1.0, _EPS),
            },
            _adagrad_init,
            _adagrad_update,
        ),
        OptimizerInfo(
            "rmsprop",
            "RMSProp",
            "Divides each coordinate's step by the root of a running average of squared "
            "gradients, so old gradients are forgotten (unlike AdaGrad).",
            {
                "lr": _lr(0.01),
                "alpha": Hyperparameter(
                    0.99, 0.0, 1.0, "smoothing α of the squared-gradient running average"
                ),
                "eps": Hyperparameter(1e-8, 0.0, 1.0, _EPS),
                "weight_decay": Hyperparameter(0.0, 0.0, 100.0, _WEIGHT_DECAY_COUPLED),
                "momentum": Hyperparameter(0.0, 0.0, 1.0, "momentum μ applied to the scaled step"),
                "centered": Hyperparameter(
                    False,
                    None,
                    None,
                    "centered: divide by the gradient's estimated variance instead of its "
                    "raw second moment",
                    "boolean",
                ),
            },
            _rmsprop_init,
            _rmsprop_update,
            switches=("momentum", "centered"),
        ),
        OptimizerInfo(
            "adam",
            "Adam",
            "Momentum plus RMSProp-style scaling, with bias corrections for the first steps.",
            {
                "lr": _lr(0.001),
                "betas": _ADAM_HYPER["betas"],
                "eps": _ADAM_HYPER["eps"],
                "weight_decay": Hyperparameter(0.0, 0.0, 100.0, _WEIGHT_DECAY_COUPLED),
                "amsgrad": _ADAM_HYPER["amsgrad"],
            },
            _adam_init,
            _adam_update,
            switches=("amsgrad",),
            writes_out=True,
        ),
        OptimizerInfo(
            "adamw",
            "AdamW",
            "Adam with decoupled weight decay: the weights shrink by γλ each step, "
            "apart from the gradient scaling.",
            {
                "lr": _lr(0.001),
                "betas": _ADAM_HYPER["betas"],
                "eps": _ADAM_HYPER["eps"],
                "weight_decay": Hyperparameter(
                    0.01, 0.0, 100.0, "decoupled weight decay λ: θ ← θ(1 − γλ) each step"
                ),
                "amsgrad": _ADAM_HYPER["amsgrad"],
            },
            _adam_init,
            _adamw_update,
            switches=("amsgrad",),
            writes_out=True,
        ),
    ]
}


def _check_number(field: str, value: Any, spec: Hyperparameter) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OptimizerSpecError(field, f"{field} must be a number")
    value = float(value)
    if not np.isfinite(value):
        raise OptimizerSpecError(field, f"{field} must be finite")
    if spec.minimum is not None and value < spec.minimum:
        raise OptimizerSpecError(field, f"Invalid {field} value: {value} (minimum {spec.minimum})")
    if spec.maximum is not None and value > spec.maximum:
        raise OptimizerSpecError(field, f"Invalid {field} value: {value} (maximum {spec.maximum})")
    return value


def resolve(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Validate hyperparameters as torch.optim does and fill in its defaults.

    Raises OptimizerSpecError naming the offending field.
    """
    info = OPTIMIZERS.get(name)
    if info is None:
        raise OptimizerSpecError(
            "optimizer", f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}"
        )
    for field in values:
        if field not in info.hyperparameters:
            raise OptimizerSpecError(
                field,
                f"{info.name} has no hyperparameter {field!r}; "
                f"it has {', '.join(info.hyperparameters)}",
            )
    hyper: dict[str, Any] = {}
    for field, spec in info.hyperparameters.items():
        value = values.get(field, spec.default)
        if spec.kind == "boolean":
            if not isinstance(value, bool):
                raise OptimizerSpecError(field, f"{field} must be true or false")
        elif spec.kind == "pair":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise OptimizerSpecError(field, f"{field} must be a pair of numbers [a, b]")
            pair = tuple(_check_number(field, v, spec) for v in value)
            for index, beta in enumerate(pair):
                if not 0.0 <= beta < 1.0:
                    raise OptimizerSpecError(
                        field, f"Invalid beta parameter at index {index}: {beta} (needs 0 ≤ β < 1)"
                    )
            value = pair
        else:
            value = _check_number(field, value, spec)
        hyper[field] = value
    if name == "sgd" and hyper["nesterov"] and (hyper["momentum"] <= 0 or hyper["dampening"] != 0):
        raise OptimizerSpecError(
            "nesterov", "Nesterov momentum requires a momentum and zero dampening"
        )
    return hyper


def public_hyperparameters(hyper: dict[str, Any]) -> dict[str, Any]:
    """Hyperparameters as JSON: pairs as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in hyper.items()}


def batch_key(name: str, hyper: dict[str, Any]) -> tuple:
    """Runs with equal keys can share one optimizer over a stacked array."""
    info = OPTIMIZERS[name]
    return (name,) + tuple(
        bool(hyper[s]) if isinstance(hyper[s], bool) else hyper[s] != 0 for s in info.switches
    )


def stack_hyperparameters(hypers: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack several runs' hyperparameters into (1, runs) rows, to broadcast over a
    (2, runs) array of hikers (one column per hiker).

    Booleans (which are equal within a batch) stay scalars; a value equal for all
    runs stays a Python float so the arithmetic matches torch's scalar path.
    """
    stacked: dict[str, Any] = {}
    for field, first in hypers[0].items():
        values = [h[field] for h in hypers]
        if isinstance(first, bool) or all(v == first for v in values):
            stacked[field] = first
        elif isinstance(first, tuple):
            stacked[field] = tuple(
                np.array([v[i] for v in values], dtype=float)[None, :] for i in range(len(first))
            )
        else:
            stacked[field] = np.array(values, dtype=float)[None, :]
    return stacked


def _select(value: Any, keep: np.ndarray) -> Any:
    return value[:, keep] if isinstance(value, np.ndarray) else value


class Optimizer:
    """A torch.optim optimizer over a list of numpy parameter arrays (updated in place)."""

    def __init__(self, name: str, hyper: dict[str, Any], params: list[np.ndarray]):
        self.info = OPTIMIZERS[name]
        self.hyper = hyper
        self.state = [self.info.init(p, hyper) for p in params]
        # Each parameter's scratch arrays, reused by every step (apart from ``state``,
        # which holds torch's names only).
        self._work: list[dict[str, np.ndarray]] = [{} for _ in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One step: each parameter updated in place (its gradient is only read)."""
        update, hyper = self.info.update, self.hyper
        for param, grad, state, work in zip(params, grads, self.state, self._work, strict=True):
            update(param, grad, state, hyper, work)

    def step_array(
        self, param: np.ndarray, grad: np.ndarray, out: np.ndarray | None = None
    ) -> None:
        """``step([param], [grad])`` for an optimizer of one parameter (a descent's hikers),
        without the lists: a descent calls it every step. With ``out``, the new values
        go there and ``param`` is only read (a descent writes them straight into its
        next point)."""
        if out is None:
            self.info.update(param, grad, self.state[0], self.hyper, self._work[0])
        elif self.info.writes_out:
            self.info.update(param, grad, self.state[0], self.hyper, self._work[0], out=out)
        else:
            np.copyto(out, param)
            self.info.update(out, grad, self.state[0], self.hyper, self._work[0])

    def select_columns(self, keep: np.ndarray) -> None:
        """Keep only some columns of every (2, runs) parameter, with their state and
        per-run hyperparameters (hikers that are still walking)."""
        for state in self.state:
            for name, value in state.items():
                if isinstance(value, np.ndarray):
                    state[name] = value[:, keep]
        self._work = [{} for _ in self.state]
        self.hyper = {
            name: _select(value, keep)
            if not isinstance(value, tuple)
            else tuple(_select(v, keep) for v in value)
            for name, value in self.hyper.items()
        }

    def set_hyperparameters(self, hyper: dict[str, Any]) -> None:
        """Change hyperparameters mid-run, keeping the state (as editing a param_group does).

        State a newly switched-on branch needs (a momentum buffer, a running mean)
        starts at zero on its first use, as it would have at the first step.
        """
        self.hyper = hyper
        for work in self._work:  # made from the old ones (even if ``hyper`` is their dict)
            work.pop("operands", None)
