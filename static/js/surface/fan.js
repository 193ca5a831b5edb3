// The learning-rate fan: five hikers from one start, learning rates spread so
// that one crawls, one converges, one oscillates and the largest flies off.
//
// For plain gradient descent the spread is set by the surface's curvature:
// near a minimum with largest Hessian eigenvalue L, a step γ contracts when
// γ < 2/L, zig-zags when 1/L < γ < 2/L and diverges when γ > 2/L. We estimate
// L from gradients around the minimum nearest the start (finite differences
// through POST /api/evaluate) and place the fan around 2/L. Adaptive
// optimizers (Adam…) have no such limit: their fan is a factor 10 apart
// around the current learning rate.

import { api } from "../common/api.js";

const GD_FAN = [0.005, 0.1, 0.5, 0.9, 4]; // × 2/L: crawls, converges, converges fast, zig-zags, flies off
const DECADE_FAN = [0.01, 0.1, 1, 10, 100];

/** Largest |eigenvalue| of the Hessian at `p`, by central differences of ∇f. */
async function curvature(surface, [x, y], span) {
  const h = span * 1e-4;
  const points = [
    [x + h, y],
    [x - h, y],
    [x, y + h],
    [x, y - h],
  ];
  const { grad_x: gx, grad_y: gy } = await api.evaluate(surface, points);
  if ([...gx, ...gy].some((v) => v === null || !Number.isFinite(v))) return null;
  const hxx = (gx[0] - gx[1]) / (2 * h);
  const hyy = (gy[2] - gy[3]) / (2 * h);
  const hxy = ((gx[2] - gx[3]) / (2 * h) + (gy[0] - gy[1]) / (2 * h)) / 2;
  const mean = (hxx + hyy) / 2;
  const radius = Math.hypot((hxx - hyy) / 2, hxy);
  const L = Math.max(Math.abs(mean + radius), Math.abs(mean - radius));
  return L > 0 && Number.isFinite(L) ? L : null;
}

/**
 * Five learning rates for the fan. `optimizer` and `lr` are the selected
 * hiker's; `minima` and ranges come from the surface.
 */
export async function fanLearningRates({ surface, info, start, optimizer, lr, momentum }) {
  const span = Math.max(info.x_range[1] - info.x_range[0], info.y_range[1] - info.y_range[0]);
  if (optimizer === "sgd" && !momentum) {
    let at = start;
    const minima = info.minima || [];
    if (minima.length) {
      at = minima.reduce((best, m) =>
        Math.hypot(m.x - start[0], m.y - start[1]) < Math.hypot(best.x - start[0], best.y - start[1])
          ? m
          : best,
      );
      at = [at.x, at.y];
    }
    const L = await curvature(surface, at, span).catch(() => null);
    if (L) return { lrs: GD_FAN.map((m) => round((m * 2) / L)), basis: `2/L = ${round(2 / L)}` };
  }
  return { lrs: DECADE_FAN.map((m) => round(m * lr)), basis: `factors of 10 around γ = ${lr}` };
}

function round(x) {
  return Number(x.toPrecision(3));
}
