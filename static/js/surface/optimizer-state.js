// The optimizer's hidden state, drawn on the map at the selected hiker:
//   - velocity: momentum's buffer b (SGD with momentum) or Adam's running mean m̂
//     of the gradients, as an arrow along −b drawn to the same scale as the
//     −∇f arrow, so a learner sees the hiker carried past where the slope points;
//   - step scale: AdaGrad's, RMSProp's and Adam's per-coordinate multiplier
//     γ/(√v + ε) as a box around the hiker (its half-widths in proportion), so in
//     a ravine the box is wide along the shallow floor and thin across the steep
//     walls: the steep coordinate's steps are cut, the shallow one's stretched.
// The numbers are the replay of torch's rules (optim.js) along the streamed path,
// at the step the hiker is shown at.

import { Replay } from "./optim.js";
import { fmt } from "../common/format.js";

const BOX_SIZE = 0.06; // the box's larger half-width, as a share of the map's longer side

/** The update's per-coordinate multiplier of the gradient, for the adaptive optimizers. */
function stepScale(optimizer, hyper, r) {
  if (optimizer === "adagrad") return [r.clr / r.std[0], r.clr / r.std[1]];
  if (optimizer === "rmsprop") return [hyper.lr / r.avg[0], hyper.lr / r.avg[1]];
  if (optimizer === "adam" || optimizer === "adamw") {
    const size = hyper.lr / r.bc1;
    return [size / r.denom[0], size / r.denom[1]];
  }
  return null;
}

/** The velocity the hiker carries, in gradient units: SGD's momentum buffer, Adam's m̂. */
function velocity(optimizer, hyper, r) {
  if (optimizer === "sgd" && hyper.momentum)
    return { v: r.buf, symbol: "b", name: "velocity b, the momentum buffer" };
  if (optimizer === "adam" || optimizer === "adamw")
    return { v: r.mHat, symbol: "m̂", name: "velocity m̂, Adam's running mean of ∇f" };
  return null;
}

/** Whether an optimizer has state worth drawing (and a legend line). */
export function hasState(optimizer, hyper) {
  return optimizer !== "sgd" || Boolean(hyper.momentum);
}

export class OptimizerState {
  constructor() {
    this.replay = null;
    this.key = null;
  }

  /**
   * The marks at path point `k` of the selected hiker: {velocity, box, legend}.
   * `arrow(gx, gy)` gives the map's −∇f arrow for a gradient (so −b is drawn alike).
   */
  at({ optimizer, hyper, path, k, spans, arrow }) {
    const key = JSON.stringify([optimizer, hyper]);
    if (!this.replay || this.replay.path !== path || this.key !== key) {
      this.replay = new Replay(optimizer, hyper, path);
      this.key = key;
    }
    const none = { velocity: null, box: null, legend: [] };
    const r = k >= 1 ? this.replay.at(k) : null;
    if (!r) return none;
    const at = [path.x[k], path.y[k]];
    const out = { velocity: null, box: null, legend: [] };
    const v = velocity(optimizer, hyper, r);
    if (v && Number.isFinite(v.v[0]) && Number.isFinite(v.v[1])) {
      const d = arrow(v.v[0], v.v[1]);
      if (d) out.velocity = [at, [at[0] + d[0], at[1] + d[1]]];
      out.legend.push({
        kind: "velocity",
        text: `${v.name} (past gradients carried on), drawn like −∇f: |${v.symbol}| = ${fmt(Math.hypot(...v.v), 3)}`,
      });
    }
    const s = stepScale(optimizer, hyper, r);
    if (s && s.every(Number.isFinite)) {
      const R = BOX_SIZE * Math.max(...spans);
      const most = Math.max(s[0], s[1]);
      // the smaller side never vanishes, so a box 1000 times wider than tall is still seen as a box
      const half = s.map((value) => Math.max((R * value) / most, R * 0.04));
      out.box = {
        x: [at[0] - half[0], at[0] + half[0], at[0] + half[0], at[0] - half[0], at[0] - half[0]],
        y: [at[1] - half[1], at[1] - half[1], at[1] + half[1], at[1] + half[1], at[1] - half[1]],
      };
      const ratio =
        s[0] >= s[1] ? `${fmt(s[0] / s[1], 3)}× longer along x` : `${fmt(s[1] / s[0], 3)}× longer along y`;
      out.legend.push({
        kind: "scale",
        text: `step scale per coordinate γ/(√v + ε): x ${fmt(s[0], 3)}, y ${fmt(s[1], 3)} (${ratio}; steep directions get short steps)`,
      });
    }
    return out;
  }
}
