"""A multilayer perceptron in numpy, written the way micrograd reads.

The network has 2 inputs and 1 output. Hidden layer ``l`` computes

    z_l = h_{l-1} @ W_l + b_l        h_l = act(z_l)          (h_0 = x)

and the output layer is linear: ``ŷ = z_L``. ``forward`` (asked to, by
``loss_and_gradient``) keeps every layer's input; ``backward`` walks the layers
from the top, each line one step of the chain rule, leaves ∂L/∂W_l and ∂L/∂b_l
for every layer, and lets the kept inputs go: a network between two steps holds
its weights and gradient only, never a pass's activations (a 100×100 boundary
through 8 layers of 64 units would be 40 MB).

All weights live in one flat vector ``theta`` (W_1, b_1, W_2, b_2, … each
row-major), and ``W[l]``, ``b[l]`` are views into it; the gradient lives in
``grad`` the same way. So one optimizer step, one finite-difference nudge or
one landscape direction works on a single array.

Initialisation (seeded): Glorot/Xavier uniform, U(±√(6 / (fan_in + fan_out))),
for tanh, sigmoid and linear layers and the output layer; He/Kaiming normal,
N(0, 2 / fan_in), for relu hidden layers; biases start at 0.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
TASKS = ("classification", "regression")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^-z), written with e^-|z| so it never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def activate(activation: str, z: np.ndarray) -> np.ndarray:
    """h = act(z), computed in z's own memory (forward no longer needs z)."""
    if activation == "tanh":
        return np.tanh(z, out=z)
    if activation == "relu":
        return np.maximum(z, 0.0, out=z)
    if activation == "sigmoid":
        return sigmoid(z)
    return z


def slope(activation: str, h: np.ndarray) -> np.ndarray | float:
    """act'(z), written with the layer's output h = act(z) (which is what forward kept)."""
    if activation == "tanh":
        return 1.0 - h * h  # tanh' = 1 − tanh²
    if activation == "relu":
        return (h > 0).astype(h.dtype)  # relu' = 1 where z > 0
    if activation == "sigmoid":
        return h * (1.0 - h)  # σ' = σ(1 − σ)
    return 1.0


# --- Losses: mean over samples, with their derivative ∂L/∂ŷ -------------------


def loss_and_slope(task: str, out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean loss over the samples and ∂L/∂ŷ for each sample.

    classification: BCE with logits, ℓ = −y log σ(ŷ) − (1 − y) log(1 − σ(ŷ))
                    = max(ŷ, 0) + log(1 + e^-|ŷ|) − yŷ   (stable for any ŷ),
                    ∂ℓ/∂ŷ = σ(ŷ) − y
    regression:     MSE, ℓ = (ŷ − y)²,  ∂ℓ/∂ŷ = 2(ŷ − y)
    """
    n = len(y)
    if task == "classification":
        e = np.exp(-np.abs(out))
        loss = np.sum(np.maximum(out, 0.0) + np.log1p(e) - y * out) / n
        probability = np.where(out >= 0, 1.0, e) / (1.0 + e)
        return float(loss), (probability - y) / n
    error = out - y
    return float(error @ error) / n, (2.0 / n) * error


def losses(task: str, out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean loss for each row of ``out`` (shape (G, n)): many networks at once."""
    if task == "classification":
        return np.mean(np.maximum(out, 0.0) + np.log1p(np.exp(-np.abs(out))) - y * out, axis=-1)
    error = out - y
    return np.mean(error * error, axis=-1)


def output_values(task: str, out: np.ndarray) -> np.ndarray:
    """What the model says: a probability of class 1 (classification) or ŷ (regression)."""
    return sigmoid(out) if task == "classification" else out


# --- The network ---------------------------------------------------------------


def layer_sizes(hidden: list[int]) -> list[int]:
    """[2, *hidden, 1]: two inputs, the hidden layers, one output."""
    return [2, *hidden, 1]


def initial_weights(sizes: list[int], activation: str, seed: int) -> list[tuple]:
    """Seeded starting weights [(W, b), …] suited to the activation (see the module notes)."""
    rng = np.random.default_rng(seed)
    weights = []
    for layer, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        is_output = layer == len(sizes) - 2
        if activation == "relu" and not is_output:
            W = rng.normal(0.0, np.sqrt(2.0 / nin), (nin, nout))  # He / Kaiming
        else:
            limit = np.sqrt(6.0 / (nin + nout))  # Glorot / Xavier
            W = rng.uniform(-limit, limit, (nin, nout))
        weights.append((W, np.zeros(nout)))
    return weights


class MLP:
    """A 2 → hidden → 1 perceptron whose weights are views into one flat vector ``theta``."""

    def __init__(self, weights: list[tuple], activation: str):
        self.activation = activation
        self.sizes = [len(weights[0][0])] + [len(b) for _, b in weights]
        self.shapes = [
            (nin, nout) for nin, nout in zip(self.sizes[:-1], self.sizes[1:], strict=True)
        ]
        # Where each block lives in theta: W_1, b_1, W_2, b_2, …
        self.block_sizes = [size for nin, nout in self.shapes for size in (nin * nout, nout)]
        self.block_starts = np.cumsum([0, *self.block_sizes[:-1]])
        self.theta = np.concatenate([np.ravel(a) for W, b in weights for a in (W, b)]).astype(float)
        self.grad = np.zeros_like(self.theta)
        self.W, self.b = self.views(self.theta)
        self.dW, self.db = self.views(self.grad)
        self.is_weight = np.concatenate(
            [np.full(size, i % 2 == 0) for i, size in enumerate(self.block_sizes)]
        )
        self.forward_passes = 0
        self.backward_passes = 0
        self._inputs: list[np.ndarray] = []

    @classmethod
    def initialised(cls, hidden: list[int], activation: str, seed: int = 0) -> MLP:
        return cls(initial_weights(layer_sizes(hidden), activation, seed), activation)

    def views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The (W_l, b_l) blocks of a flat vector, as views of their layer's shape."""
        W, b = [], []
        for (nin, nout), start in zip(self.shapes, self.block_starts[::2], strict=True):
            W.append(flat[start : start + nin * nout].reshape(nin, nout))
            b.append(flat[start + nin * nout : start + nin * nout + nout])
        return W, b

    @property
    def n_parameters(self) -> int:
        return len(self.theta)

    def weights(self, theta: np.ndarray | None = None) -> list[dict]:
        """The weights as JSON: [{"W": [[…]], "b": […]}, …], hidden layers first."""
        W, b = self.views(self.theta if theta is None else theta)
        return [{"W": w.tolist(), "b": bias.tolist()} for w, bias in zip(W, b, strict=True)]

    # --- forward and backward ----------------------------------------------------

    def forward(
        self, x: np.ndarray, for_backward: bool = False, trace: list | None = None
    ) -> np.ndarray:
        """ŷ for each row of x (n, 2); ``for_backward`` keeps each layer's input for backward.

        ``trace``, if given, receives each layer's (h_{l-1}, copy of z_l), to show a pass.
        """
        self.forward_passes += 1
        last = len(self.W) - 1
        h = x
        self._inputs = []
        for layer, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            if for_backward:
                self._inputs.append(h)
            z = h @ W
            z += b  # z_l = h_{l-1} W_l + b_l
            if trace is not None:
                trace.append((h, z.copy()))
            h = z if layer == last else activate(self.activation, z)  # h_l = act(z_l)
        return h[:, 0]

    def hidden_activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Every hidden layer's output h_l (n, units) for each row of x: what each unit computes."""
        self.forward(x, for_backward=True)
        hidden, self._inputs = self._inputs[1:], []  # the inputs of layers 2… are h_1, h_2, …
        return hidden

    def backward(self, d_out: np.ndarray, deltas: list | None = None) -> None:
        """From ∂L/∂ŷ (n,), fill ``grad`` with ∂L/∂W_l and ∂L/∂b_l, top layer first.

        It uses up the inputs the last ``forward(x, for_backward=True)`` kept.
        ``deltas``, if given, receives a copy of each layer's ∂L/∂z_l, top layer first.
        """
        if len(self._inputs) != len(self.W):
            raise RuntimeError("backward needs a forward pass with for_backward=True first")
        self.backward_passes += 1
        ones = np.ones(len(d_out))
        dz = d_out[:, None]  # the output layer is linear: ∂L/∂z_L = ∂L/∂ŷ
        for layer in reversed(range(len(self.W))):
            if deltas is not None:
                deltas.append(dz.copy())
            h_in = self._inputs[layer]  # h_{l-1}
            np.matmul(h_in.T, dz, out=self.dW[layer])  # ∂L/∂W_l = h_{l-1}ᵀ · ∂L/∂z_l
            np.matmul(ones, dz, out=self.db[layer])  # ∂L/∂b_l = 1ᵀ · ∂L/∂z_l (sum over samples)
            if layer > 0:
                dh = dz @ self.W[layer].T  # ∂L/∂h_{l-1} = ∂L/∂z_l · W_lᵀ
                dz = dh * slope(self.activation, h_in)  # ∂L/∂z_{l-1} = ∂L/∂h_{l-1} ⊙ act'(z_{l-1})
        self._inputs = []  # the pass's activations are no longer needed

    def penalty(self, l2: float) -> float:
        """L2 regularisation: l2 · Σ‖W_l‖² / 2 over the weight matrices (not the biases)."""
        if l2 == 0:
            return 0.0
        return l2 * sum(float(np.sum(W * W)) for W in self.W) / 2

    def loss_and_gradient(self, x, y, task: str, l2: float = 0.0) -> tuple[float, np.ndarray]:
        """The data loss at x, y and ŷ; ``grad`` becomes ∇(loss + penalty)."""
        out = self.forward(x, for_backward=True)
        loss, d_out = loss_and_slope(task, out, y)
        self.backward(d_out)
        if l2 != 0:
            for W, dW in zip(self.W, self.dW, strict=True):
                dW += l2 * W  # ∂(l2 ‖W‖²/2)/∂W = l2 W
        return loss, out

    def loss(self, x, y, task: str, l2: float = 0.0) -> float:
        """The objective, loss + penalty, by one forward pass (what finite differences call)."""
        out = self.forward(x)
        return loss_and_slope(task, out, y)[0] + self.penalty(l2)

    # --- many weight vectors at once (the landscape) ----------------------------

    def forward_many(self, thetas: np.ndarray, x: np.ndarray, workspace=None) -> np.ndarray:
        """ŷ for every row of ``thetas`` (G, P) at once: shape (G, n). Same layers as forward.

        ``workspace`` (from ``workspace_for``) holds each layer's output between calls:
        allocating big arrays afresh each time costs as much again in page faults.
        """
        G = len(thetas)
        last = len(self.shapes) - 1
        h = x
        for layer, (nin, nout) in enumerate(self.shapes):
            start = self.block_starts[2 * layer]
            out = None if workspace is None else workspace[layer][:G]
            if layer == 0:
                # In theta, b_1 follows W_1's rows: [x, 1] @ [W_1; b_1] = x W_1 + b_1.
                Wb = thetas[:, start : start + (nin + 1) * nout].reshape(G, nin + 1, nout)
                z = np.matmul(np.column_stack([h, np.ones(len(h))]), Wb, out=out)
            else:
                W = thetas[:, start : start + nin * nout].reshape(G, nin, nout)
                # A contiguous copy: broadcasting a strided slice is several times slower.
                b = np.ascontiguousarray(thetas[:, start + nin * nout : start + nin * nout + nout])
                z = np.matmul(h, W, out=out)
                z += b[:, None, :]
            h = z if layer == last else activate(self.activation, z)
        return h[:, :, 0]

    def workspace_for(self, networks: int, points: int) -> list[np.ndarray]:
        """Room for ``forward_many`` over up to ``networks`` rows and ``points`` points."""
        return [np.empty((networks, points, nout)) for _, nout in self.shapes]

    def penalties(self, thetas: np.ndarray, l2: float) -> np.ndarray:
        """The L2 penalty of every row of ``thetas``."""
        if l2 == 0:
            return np.zeros(len(thetas))
        weights = thetas[:, self.is_weight]
        return l2 * np.sum(weights * weights, axis=1) / 2

    def block_norms(self, flat: np.ndarray) -> np.ndarray:
        """‖block‖ for W_1, b_1, W_2, b_2, … of a flat vector (one reduction for all)."""
        return np.sqrt(np.add.reduceat(flat * flat, self.block_starts))
