"""One example's forward and backward pass, layer by layer, as the chain rule reads.

For a single point x with target y, the forward pass computes, layer by layer,

    input_l = h_{l-1}   (h_0 = x)
    z_l = input_l W_l + b_l                      (pre_activation)
    h_l = act(z_l)        (the output layer is linear: ŷ = z_L)

and the loss ℓ(ŷ, y): BCE with logits for classification, (ŷ − y)² for
regression, with no L2 term. The backward pass starts at the top,

    δ_L = ∂ℓ/∂ŷ = σ(ŷ) − y   or   2(ŷ − y)
    δ_{l-1} = (δ_l W_lᵀ) ⊙ act′(z_{l-1})
    ∂ℓ/∂W_l = input_l ⊗ δ_l      ∂ℓ/∂b_l = δ_l

Nothing here computes a derivative of its own: the network's ``forward`` and
``backward`` (``app.nets.mlp``, the one place the chain rule is written) run on
the one point and are asked to show what they computed on the way.
"""

from __future__ import annotations

import numpy as np

from app.finite import finite_number, finite_or_none
from app.nets.mlp import MLP, loss_and_slope, slope
from app.nets.train import quiet


@quiet
def backprop_example(net: MLP, task: str, x: list[float], y: float) -> dict:
    """``{"loss", "output", "layers": [{"layer", "input", "pre_activation", "activation",
    "slope", "delta", "grad_W", "grad_b"}, …]}`` for one point, hidden layers first."""
    trace: list[tuple[np.ndarray, np.ndarray]] = []  # (input_l, z_l) for each layer
    deltas: list[np.ndarray] = []  # δ_l, from the top layer down
    out = net.forward(np.array([x], dtype=float), for_backward=True, trace=trace)
    loss, d_out = loss_and_slope(task, out, np.array([y], dtype=float))
    net.backward(d_out, deltas=deltas)
    deltas.reverse()

    inputs = [h_in for h_in, _ in trace]
    outputs = [*inputs[1:], out[:, None]]  # h_l is the next layer's input; ŷ = z_L
    last = len(trace) - 1
    layers = []
    for layer, ((h_in, z), h, delta) in enumerate(zip(trace, outputs, deltas, strict=True)):
        act_slope = slope(net.activation, h) if layer < last else 1.0  # act′(z_l)
        layers.append(
            {
                "layer": layer + 1,
                "input": finite_or_none(h_in[0]),
                "pre_activation": finite_or_none(z[0]),
                "activation": finite_or_none(h[0]),
                "slope": finite_or_none(np.broadcast_to(act_slope, h.shape)[0]),
                "delta": finite_or_none(delta[0]),  # ∂ℓ/∂z_l
                "grad_W": finite_or_none(net.dW[layer]),  # input_l ⊗ δ_l
                "grad_b": finite_or_none(net.db[layer]),  # δ_l
            }
        )
    return {"loss": finite_number(loss), "output": finite_number(out[0]), "layers": layers}
