// The equation panel: the selected hiker's update rule, typeset, with the numbers
// of the step on screen plugged in (gradient, momentum buffer, squared-gradient
// average, bias corrections, the step taken). Numbers come from optim.js
// replaying torch's rule along the streamed path.

import { tex, texVec as V } from "../common/format.js";
import { typeset } from "../common/typeset.js";

const sq = ([a, b]) => [a * a, b * b];

// The rule in symbols, shown before the first step and as a reminder.
function symbolic(optimizer, h) {
  const lines = [];
  const wd = h.weight_decay
    ? optimizer === "adamw"
      ? ["\\theta_{t-1} &\\leftarrow \\theta_{t-1}(1-\\gamma\\lambda)"]
      : ["g_t &\\leftarrow g_t + \\lambda\\,\\theta_{t-1}"]
    : [];
  lines.push("g_t &= \\nabla f(\\theta_{t-1})", ...wd);
  if (optimizer === "sgd") {
    if (h.momentum) {
      lines.push("b_t &= \\mu\\, b_{t-1} + (1-\\tau)\\, g_t");
      if (h.nesterov) lines.push("\\theta_t &= \\theta_{t-1} - \\gamma\\,(g_t + \\mu\\, b_t)");
      else lines.push("\\theta_t &= \\theta_{t-1} - \\gamma\\, b_t");
    } else lines.push("\\theta_t &= \\theta_{t-1} - \\gamma\\, g_t");
  } else if (optimizer === "adagrad") {
    lines.push("s_t &= s_{t-1} + g_t^2");
    const g = h.lr_decay ? "\\tfrac{\\gamma}{1+(t-1)\\eta}" : "\\gamma";
    lines.push(`\\theta_t &= \\theta_{t-1} - ${g}\\, \\frac{g_t}{\\sqrt{s_t}+\\varepsilon}`);
  } else if (optimizer === "rmsprop") {
    lines.push("v_t &= \\alpha\\, v_{t-1} + (1-\\alpha)\\, g_t^2");
    let v = "v_t";
    if (h.centered) {
      lines.push("\\bar g_t &= \\alpha\\, \\bar g_{t-1} + (1-\\alpha)\\, g_t");
      v = "v_t - \\bar g_t^2";
    }
    if (h.momentum) {
      lines.push(`b_t &= \\mu\\, b_{t-1} + \\frac{g_t}{\\sqrt{${v}}+\\varepsilon}`);
      lines.push("\\theta_t &= \\theta_{t-1} - \\gamma\\, b_t");
    } else lines.push(`\\theta_t &= \\theta_{t-1} - \\gamma\\, \\frac{g_t}{\\sqrt{${v}}+\\varepsilon}`);
  } else {
    lines.push("m_t &= \\beta_1 m_{t-1} + (1-\\beta_1)\\, g_t");
    lines.push("v_t &= \\beta_2 v_{t-1} + (1-\\beta_2)\\, g_t^2");
    if (h.amsgrad) lines.push("v^{\\max}_t &= \\max(v^{\\max}_{t-1}, v_t)");
    const v = h.amsgrad ? "v^{\\max}_t" : "v_t";
    lines.push(
      `\\hat m_t &= \\frac{m_t}{1-\\beta_1^{\\,t}}, \\quad \\hat v_t = \\frac{${v}}{1-\\beta_2^{\\,t}}`,
    );
    lines.push("\\theta_t &= \\theta_{t-1} - \\gamma\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t}+\\varepsilon}");
  }
  return lines;
}

// The same rule with this step's numbers.
function numeric(optimizer, h, s) {
  const L = [];
  const g = s.gDecayed || s.g0;
  const theta = s.thetaDecayed || s.theta;
  L.push(`\\theta_{t-1} &= ${V(s.theta)}`);
  L.push(`g_t = \\nabla f(\\theta_{t-1}) &= ${V(s.g0)}`);
  if (s.thetaDecayed)
    L.push(
      `\\theta_{t-1} \\leftarrow \\theta_{t-1}(1-\\gamma\\lambda) &= ${V(s.theta)}\\cdot${tex(1 - h.lr * h.weight_decay)} = ${V(theta)}`,
    );
  if (s.gDecayed)
    L.push(
      `g_t \\leftarrow g_t + \\lambda\\theta_{t-1} &= ${V(s.g0)} + ${tex(h.weight_decay)}\\,${V(s.theta)} = ${V(g)}`,
    );

  if (optimizer === "sgd") {
    let d = g;
    let dName = "g_t";
    if (h.momentum) {
      if (s.bufPrev === null) L.push(`b_t = g_t \\;(\\text{first step}) &= ${V(s.buf)}`);
      else
        L.push(
          `b_t = \\mu b_{t-1} + (1-\\tau) g_t &= ${tex(h.momentum)}\\,${V(s.bufPrev)} + ${tex(1 - h.dampening)}\\,${V(g)} = ${V(s.buf)}`,
        );
      d = s.buf;
      dName = "b_t";
      if (h.nesterov) {
        L.push(`g_t + \\mu b_t &= ${V(g)} + ${tex(h.momentum)}\\,${V(s.buf)} = ${V(s.gNesterov)}`);
        d = s.gNesterov;
        dName = "(g_t + \\mu b_t)";
      }
    }
    L.push(
      `\\theta_t = \\theta_{t-1} - \\gamma\\, ${dName} &= ${V(theta)} - ${tex(h.lr)}\\,${V(d)} = ${V(s.next)}`,
    );
  } else if (optimizer === "adagrad") {
    if (h.lr_decay) L.push(`\\tilde\\gamma = \\gamma / (1+(t-1)\\eta) &= ${tex(s.clr)}`);
    L.push(`s_t = s_{t-1} + g_t^2 &= ${V(s.sumPrev)} + ${V(sq(g))} = ${V(s.sum)}`);
    L.push(`\\sqrt{s_t} + \\varepsilon &= ${V(s.std)}`);
    const gname = h.lr_decay ? "\\tilde\\gamma" : "\\gamma";
    L.push(
      `\\theta_t = \\theta_{t-1} - ${gname}\\, g_t / (\\sqrt{s_t}+\\varepsilon) &= ${V(theta)} - ${tex(s.clr)}\\,${V(g)} \\oslash ${V(s.std)} = ${V(s.next)}`,
    );
  } else if (optimizer === "rmsprop") {
    L.push(
      `v_t = \\alpha v_{t-1} + (1-\\alpha) g_t^2 &= ${tex(h.alpha)}\\,${V(s.squareAvgPrev)} + ${tex(1 - h.alpha)}\\,${V(sq(g))} = ${V(s.squareAvg)}`,
    );
    if (h.centered)
      L.push(
        `\\bar g_t = \\alpha \\bar g_{t-1} + (1-\\alpha) g_t &= ${tex(h.alpha)}\\,${V(s.gradAvgPrev)} + ${tex(1 - h.alpha)}\\,${V(g)} = ${V(s.gradAvg)}`,
      );
    const root = h.centered ? "\\sqrt{v_t-\\bar g_t^2}" : "\\sqrt{v_t}";
    L.push(`${root} + \\varepsilon &= ${V(s.avg)}`);
    if (h.momentum) {
      L.push(
        `b_t = \\mu b_{t-1} + g_t / (${root}+\\varepsilon) &= ${tex(h.momentum)}\\,${V(s.bufPrev)} + ${V(g)} \\oslash ${V(s.avg)} = ${V(s.buf)}`,
      );
      L.push(
        `\\theta_t = \\theta_{t-1} - \\gamma\\, b_t &= ${V(theta)} - ${tex(h.lr)}\\,${V(s.buf)} = ${V(s.next)}`,
      );
    } else
      L.push(
        `\\theta_t = \\theta_{t-1} - \\gamma\\, g_t / (${root}+\\varepsilon) &= ${V(theta)} - ${tex(h.lr)}\\,${V(g)} \\oslash ${V(s.avg)} = ${V(s.next)}`,
      );
  } else {
    const [b1, b2] = h.betas;
    L.push(
      `m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t &= ${tex(b1)}\\,${V(s.expAvgPrev)} + ${tex(1 - b1)}\\,${V(g)} = ${V(s.expAvg)}`,
    );
    L.push(
      `v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2 &= ${tex(b2)}\\,${V(s.expAvgSqPrev)} + ${tex(1 - b2)}\\,${V(sq(g))} = ${V(s.expAvgSq)}`,
    );
    if (h.amsgrad) L.push(`v^{\\max}_t = \\max(v^{\\max}_{t-1}, v_t) &= ${V(s.maxExpAvgSq)}`);
    L.push(`1-\\beta_1^{\\,t} &= 1-${tex(b1)}^{${s.t}} = ${tex(s.bc1)} \\quad\\text{(bias corrections)}`);
    L.push(`1-\\beta_2^{\\,t} &= 1-${tex(b2)}^{${s.t}} = ${tex(s.bc2)}`);
    L.push(`\\hat m_t = m_t / (1-\\beta_1^{\\,t}) &= ${V(s.expAvg)} / ${tex(s.bc1)} = ${V(s.mHat)}`);
    const v = h.amsgrad ? "v^{\\max}_t" : "v_t";
    L.push(
      `\\hat v_t = ${v} / (1-\\beta_2^{\\,t}) &= ${V(h.amsgrad ? s.maxExpAvgSq : s.expAvgSq)} / ${tex(s.bc2)} = ${V(s.vHat)}`,
    );
    L.push(
      `\\theta_t = \\theta_{t-1} - \\gamma\\, \\hat m_t / (\\sqrt{\\hat v_t}+\\varepsilon) &= ${V(theta)} - ${tex(h.lr)}\\,${V(s.mHat)} \\oslash ${V(s.denom)} = ${V(s.next)}`,
    );
  }
  const taken = [s.actualNext[0] - s.theta[0], s.actualNext[1] - s.theta[1]];
  L.push(
    `\\Delta\\theta_t \\;(\\text{step taken}) &= ${V(taken)},\\quad \\lVert\\Delta\\theta_t\\rVert = ${tex(Math.hypot(...taken))}`,
  );
  return L;
}

// "b_t = μ b_{t−1} + g_t &= numbers = (vector)" → one row for the rule, then the
// numbers: "b_t &= μ b_{t−1} + g_t \\ &= numbers = (vector)"; with `chains`, one row
// per step of the numbers ("\\ &= numbers \\ &= (vector)"), narrow enough for a phone.
function splitLine(line, chains) {
  const [left, right] = line.split("&=");
  if (right === undefined) return line;
  // a chain breaks before each "= (vector)"
  const rows = (chains ? right.split(" = \\begin{pmatrix}") : [right]).map(
    (row, i) => `&= ${i ? "\\begin{pmatrix}" : ""}${row}`,
  );
  const eq = left.indexOf("=");
  if (eq < 0 || left.startsWith("\\text")) return `${left}${rows.join("\\\\ ")}`;
  return `${left.slice(0, eq)} &= ${left.slice(eq + 1)}\\\\ ${rows.join("\\\\ ")}`;
}

// The hyperparameters in symbols, e.g. "γ = 0.05, β₁ = 0.9".
const SYMBOLS = {
  lr: "\\gamma",
  momentum: "\\mu",
  dampening: "\\tau",
  weight_decay: "\\lambda",
  lr_decay: "\\eta",
  eps: "\\varepsilon",
  alpha: "\\alpha",
  initial_accumulator_value: "s_0",
};

function hyperLine(h) {
  const parts = [];
  for (const [name, value] of Object.entries(h)) {
    if (name === "betas") parts.push(`\\beta_1 = ${tex(value[0])},\\ \\beta_2 = ${tex(value[1])}`);
    else if (SYMBOLS[name]) parts.push(`${SYMBOLS[name]} = ${tex(value)}`);
  }
  return parts.join(",\\quad ");
}

export class EquationPanel {
  constructor(root) {
    this.root = root;
    this.title = root.querySelector("[data-eq-title]");
    this.hyper = root.querySelector("[data-eq-hyper]");
    this.body = root.querySelector("[data-eq-body]");
    this.note = root.querySelector("[data-eq-note]");
    this.key = null;
  }

  /**
   * Show `hiker` (label, optimizer, hyperparameters) at path step `k`; `replay`
   * is its optim.js Replay (null before any run). Re-typesets only on change.
   */
  show({ label, optimizer, hyper, replay, k, noise }) {
    const key = `${label}|${optimizer}|${JSON.stringify(hyper)}|${k}|${replay ? replay.path.x.length > k : 0}`;
    if (key === this.key) return;
    this.key = key;
    const step = replay && k >= 1 ? replay.at(k) : null;
    this.title.textContent = step ? `${label} — step ${k}` : `${label} — before the first step`;
    typeset(this.hyper, hyperLine(hyper), { fit: true });
    const lines = step ? numeric(optimizer, hyper, step) : symbolic(optimizer, hyper);
    const aligned = (chains) =>
      `\\begin{aligned}${lines.map((line) => splitLine(line, chains)).join("\\\\[3pt]")}\\end{aligned}`;
    typeset(this.body, aligned(false));
    // too wide for the panel (Adam's numbers, a phone): one row per step of each chain, then shrink
    if (this.body.scrollWidth > this.body.clientWidth - 4) typeset(this.body, aligned(true), { fit: true });
    const notes = [];
    if (!step) notes.push("Press Step (→) to see the first update with its numbers.");
    else notes.push("⊘ divides element by element; each vector is (x, y).");
    if (step && noise > 0)
      notes.push(
        "Gradient noise is on: each step used a noisy gradient, so these noise-free numbers can differ from the step actually taken (last line).",
      );
    this.note.textContent = notes.join(" ");
  }
}
