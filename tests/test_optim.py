"""The optimizers against torch.optim, step for step, in float64."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import descent as descent_module
from app import optim
from app.descent import Descent, collect
from app.surfaces import from_catalogue

# Every optimizer, and every switch of each, with settings that keep paths tame.
CASES = [
    ("sgd", {"lr": 1e-3}),
    ("sgd", {"lr": 1e-3, "momentum": 0.9}),
    ("sgd", {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5}),
    ("sgd", {"lr": 1e-3, "momentum": 0.8, "nesterov": True}),
    ("sgd", {"lr": 1e-3, "momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}),
    ("adagrad", {"lr": 0.1, "weight_decay": 0.05, "eps": 1e-6}),
    ("rmsprop", {"lr": 1e-3}),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.95, "centered": True}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.5}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("adam", {"lr": 1e-2}),
    ("adam", {"lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-6}),
    ("adam", {"lr": 1e-2, "amsgrad": True}),
    ("adam", {"lr": 1e-2, "weight_decay": 0.1}),
    ("adamw", {"lr": 1e-2}),
    ("adamw", {"lr": 1e-2, "weight_decay": 0.5, "amsgrad": True}),
]


def _torch_surfaces(torch):
    return {
        "rosenbrock": (lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, (-1.2, 1.0)),
        "himmelblau": (lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, (-0.5, -0.5)),
        "beale": (
            lambda x, y: (
                (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
            ),
            (1.0, 1.4),
        ),
        "six_hump_camel": (
            lambda x, y: (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2,
            (-1.5, -1.0),
        ),
    }


def torch_optimizer(torch, name: str):
    """The torch.optim class of one of our optimizer names."""
    return {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
    }[name]


def torch_path(torch, f, start, name, hyper, steps):
    """The reference: torch.optim on a float64 tensor, gradients by autograd."""
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch_optimizer(torch, name)([point], **hyper)
    path = [point.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(point[0], point[1]).backward()
        optimizer.step()
        path.append(point.detach().clone())
    return torch.stack(path).numpy()


def assert_paths_agree(ours: np.ndarray, reference: np.ndarray, rtol: float = 1e-12) -> None:
    scale = max(1.0, float(np.abs(reference).max()))
    difference = float(np.abs(ours - reference).max())
    assert difference <= rtol * scale, f"paths differ by {difference:.3g} (scale {scale:.3g})"


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "beale", "six_hump_camel"])
@pytest.mark.parametrize(("name", "given"), CASES)
def test_paths_match_torch_optim(torch, surface, name, given):
    f, start = _torch_surfaces(torch)[surface]
    steps = 150
    hyper = optim.resolve(name, given)
    descent = Descent(from_catalogue(surface), np.array([start]), [(name, hyper)], steps, 0)
    (path,) = collect(descent)
    assert len(path) == steps + 1
    reference = torch_path(torch, f, start, name, given, steps)
    assert_paths_agree(path[:, :2], reference)


@pytest.mark.parametrize(("name", "given"), CASES)
def test_optimizer_on_network_shaped_parameters_matches_torch(torch, name, given):
    """The same code updates a list of arrays of any shape (the networks use it)."""
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (4,), (4, 1), (1,)]
    params = [rng.normal(size=s) for s in shapes]
    tensors = [torch.tensor(p, requires_grad=True) for p in params]
    ours = optim.Optimizer(name, optim.resolve(name, given), params)
    reference = torch_optimizer(torch, name)(tensors, **given)
    for _ in range(30):
        loss = sum(((t**2).sum() * 0.5 + t.sin().sum()) for t in tensors)
        reference.zero_grad()
        loss.backward()
        reference.step()
        ours.step(params, [p + np.cos(p) for p in params])
    for p, t in zip(params, tensors, strict=True):
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_batched_runs_equal_single_runs():
    """Hikers in one array, each with its own hyperparameters and optimizer (every case
    twice: per-run rows of learning rates, betas, momenta…), follow exactly the paths
    they follow alone."""
    surface = from_catalogue("himmelblau")
    rng = np.random.default_rng(0)
    runs = []
    for i in range(2 * len(CASES)):
        name, given = CASES[i % len(CASES)]
        hyper = optim.resolve(name, {**given, "lr": given["lr"] * (1 + i / 7)})
        if i >= len(CASES) and "betas" in hyper:
            hyper["betas"] = (0.85, 0.995)
        runs.append(((name, hyper), rng.uniform(-4, 4, 2)))
    starts = np.array([start for _, start in runs])
    together = collect(Descent(surface, starts, [choice for choice, _ in runs], 200, 1e-8))
    for (choice, start), path in zip(runs, together, strict=True):
        (alone,) = collect(Descent(surface, start[None, :], [choice], 200, 1e-8))
        np.testing.assert_array_equal(path, alone)


def test_compacting_ended_hikers_changes_nothing():
    """Basins drop the columns of hikers that have ended; the others walk on unchanged."""
    surface = from_catalogue("himmelblau")
    hyper = optim.resolve("adam", {"lr": 0.05})
    starts = np.array([[3.0, 2.0], [3.1, 2.1], [-1.0, 4.0], [0.0, 0.0], [2.9, 1.9]])
    shared = Descent(surface, starts, ("adam", hyper), 400, 1e-3)
    paths = collect(shared)
    for start, path, status, steps in zip(starts, paths, shared.status, shared.steps, strict=True):
        alone = Descent(surface, start[None, :], ("adam", hyper), 400, 1e-3)
        (expected,) = collect(alone)
        np.testing.assert_array_equal(path, expected)
        assert (status, steps) == (alone.status[0], alone.steps[0])


@pytest.mark.parametrize(("name", "given"), CASES)
def test_a_step_never_writes_the_gradient(name, given):
    """The descent hands the optimizer the gradients it records: they must stay as they are."""
    hyper = optim.resolve(name, {**given, "weight_decay": 0.1})
    params = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]])
    optimizer = optim.Optimizer(name, hyper, [params])
    for _ in range(3):
        grad = np.cos(params)
        recorded = grad.copy()
        optimizer.step([params], [grad])
        np.testing.assert_array_equal(grad, recorded)


def _outcome(descent: Descent, paths) -> dict:
    """Everything a descent says about its runs."""
    return {
        "paths": paths,
        "status": descent.status.tolist(),
        "steps": descent.steps.tolist(),
        "final": descent.final,
        "verdict": descent.verdict.tolist(),
        "hessian_eigenvalues": descent.hessian_eigenvalues,
        "nearest": descent.nearest,
    }


def _assert_same_outcome(a: dict, b: dict) -> None:
    for path_a, path_b in zip(a.pop("paths") or [], b.pop("paths") or [], strict=True):
        np.testing.assert_array_equal(path_a, path_b)
    np.testing.assert_array_equal(a.pop("final"), b.pop("final"))  # NaN where unknown
    np.testing.assert_array_equal(a.pop("hessian_eigenvalues"), b.pop("hessian_eigenvalues"))
    assert a == b


@pytest.mark.parametrize("record", [True, False])
@pytest.mark.parametrize("block_rows", [1, 3, 32])
def test_blocks_change_no_number(monkeypatch, record, block_rows):
    """The loop looks at who ended once per block of steps; however long the blocks, runs
    that diverge, converge or run out of steps at different steps within one block end
    where they end when every step is looked at, judged alike."""
    surface = from_catalogue("himmelblau")
    # (start, learning rate) → how the run ends with tolerance 1e-3 in 150 steps.
    runs = [
        ([0.5, -1.5], 0.01),  # converged after 34 steps
        ([-1.0, 0.3], 0.01),  # converged after 16 steps
        ([-1.0, 0.3], 0.015),  # converged after 10 steps
        ([-4.0, 4.0], 0.01),  # converged after 11 steps
        ([1.5, 1.0], 0.2),  # diverged after 1 step
        ([0.5, -1.5], 0.2),  # diverged after 2 steps
        ([np.nan, 0.0], 0.01),  # a start that is not finite: diverged at once
        ([1.5, 1.0], 0.001),  # out of steps, crawling
        ([0.5, -1.5], 0.02),  # out of steps, bouncing
    ]
    starts = np.array([start for start, _ in runs])
    choices = [("sgd", optim.resolve("sgd", {"lr": lr})) for _, lr in runs]

    def run(rows: int) -> dict:
        monkeypatch.setattr(descent_module, "MAX_BLOCK_ROWS", rows)
        descent = Descent(surface, starts, choices, 150, 1e-3)
        if not record:  # a grid of runs judged without their paths (stability maps)
            for _ in descent.chunks(record=False, judge=True, first_chunk_steps=5):
                pass
            return _outcome(descent, None)
        return _outcome(descent, collect(descent))

    every_step, blocks = run(1), run(block_rows)
    assert every_step["steps"] == [34, 16, 10, 11, 1, 2, 0, 150, 150]
    assert every_step["verdict"][-2:] == ["crawling", "oscillating"]
    _assert_same_outcome(every_step, blocks)


def test_defaults_are_torch_defaults(torch):
    for name, info in optim.OPTIMIZERS.items():
        reference = torch_optimizer(torch, name)([torch.zeros(1, requires_grad=True)]).defaults
        for field, hyper in info.hyperparameters.items():
            expected = reference[field]
            default = list(hyper.default) if isinstance(hyper.default, tuple) else hyper.default
            expected = list(expected) if isinstance(expected, tuple) else expected
            assert default == expected, (name, field)


@pytest.mark.parametrize(
    ("name", "given", "field"),
    [
        ("sgd", {"lr": -0.1}, "lr"),
        ("sgd", {"momentum": -0.5}, "momentum"),
        ("sgd", {"nesterov": True}, "nesterov"),
        ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
        ("sgd", {"weight_decay": -1}, "weight_decay"),
        ("adam", {"betas": [1.0, 0.999]}, "betas"),
        ("adam", {"betas": [0.9, -0.1]}, "betas"),
        ("adam", {"betas": [0.9]}, "betas"),
        ("adam", {"eps": -1e-8}, "eps"),
        ("adamw", {"lr": math.nan}, "lr"),
        ("adagrad", {"lr_decay": -1}, "lr_decay"),
        ("adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
        ("rmsprop", {"alpha": -0.1}, "alpha"),
        ("rmsprop", {"centered": "yes"}, "centered"),
        ("adam", {"momentum": 0.9}, "momentum"),
        ("adam", {"lr": True}, "lr"),
    ],
)
def test_invalid_hyperparameters_are_refused(name, given, field):
    with pytest.raises(optim.OptimizerSpecError) as error:
        optim.resolve(name, given)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("sgd", {"lr": -0.1}),
        ("sgd", {"nesterov": True}),
        ("adam", {"betas": (1.0, 0.999)}),
        ("adagrad", {"lr_decay": -1}),
        ("rmsprop", {"alpha": -0.1}),
    ],
)
def test_torch_refuses_what_we_refuse(torch, name, given):
    with pytest.raises(ValueError):
        torch_optimizer(torch, name)([torch.zeros(1, requires_grad=True)], **given)


def test_changing_hyperparameters_keeps_state():
    params = [np.array([1.0, -2.0])]
    opt = optim.Optimizer("rmsprop", optim.resolve("rmsprop", {"lr": 0.01}), params)
    opt.step(params, [np.array([0.5, 0.5])])
    square_avg = opt.state[0]["square_avg"].copy()
    opt.set_hyperparameters(optim.resolve("rmsprop", {"lr": 0.1, "momentum": 0.9}))
    opt.step(params, [np.array([0.5, 0.5])])
    assert opt.state[0]["step"] == 2
    assert not np.array_equal(opt.state[0]["square_avg"], square_avg)
    assert "momentum_buffer" in opt.state[0]


def test_new_hyperparameters_are_used_from_the_next_step_even_in_the_same_dict():
    """An update's numbers are made once per set of hyperparameters, and again for new ones."""
    params = [np.array([1.0, -2.0])]
    hyper = optim.resolve("sgd", {"lr": 0.25})
    opt = optim.Optimizer("sgd", hyper, params)
    opt.step(params, [np.array([1.0, 1.0])])
    hyper["lr"] = 0.5
    opt.set_hyperparameters(hyper)
    opt.step(params, [np.array([1.0, 1.0])])
    np.testing.assert_array_equal(params[0], [0.25, -2.75])


@settings(max_examples=40, deadline=None)
@given(
    surface=st.sampled_from(["himmelblau", "rosenbrock", "bowl", "saddle", "rastrigin"]),
    case=st.sampled_from(CASES),
    lr_scale=st.floats(0.1, 1000),
    noise=st.sampled_from([0.0, 0.5]),
    first=st.integers(1, 40),
    chunk=st.integers(1, 300),
)
def test_chunking_never_changes_the_numbers(surface, case, lr_scale, noise, first, chunk):
    """However the steps are cut into chunks (stream) or not (batch), paths are equal."""
    name, given_hyper = case
    hyper = optim.resolve(name, {**given_hyper, "lr": min(given_hyper["lr"] * lr_scale, 1e6)})
    starts = np.array([[0.5, -1.5], [1.5, 1.0], [-1.0, 0.3]])

    def run(**chunking):
        descent = Descent(from_catalogue(surface), starts, (name, hyper), 300, 1e-4, noise, 3)
        pieces = [[] for _ in starts]
        for piece in descent.chunks(**chunking):
            for index, count in enumerate(piece.counts):
                pieces[index].append(piece.points[:count, :, index])
        paths = [np.concatenate(p) for p in pieces]
        return paths, descent.status.tolist(), descent.steps.tolist()

    whole = run(first_chunk_steps=10_000, max_chunk_steps=10_000, chunk_seconds=1e9)
    cut = run(first_chunk_steps=first, max_chunk_steps=chunk, chunk_seconds=1e9)
    assert whole[1:] == cut[1:]
    for a, b in zip(whole[0], cut[0], strict=True):
        np.testing.assert_array_equal(a, b)
        assert len(a) >= 1
