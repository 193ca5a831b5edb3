// One example's backprop, drawn: the reply of POST /api/network/backprop walked
// step by step, as the chain rule reads. Forward: the input, then each layer's
// pre-activations z and activations h, then the loss. Backward: δ at the output,
// ∂L/∂W of that layer, then each layer below: δ = (W δ_next) ⊙ act′(z) and
// ∂L/∂W = input ⊗ δ. As micrograd draws its graph, every unit carries its value
// (black) and, once the backward pass reaches it, its δ = ∂L/∂z (red), on the
// diagram itself; the step's formula is written out with the numbers of its
// first unit, and a table lists the step's numbers for every unit.

import { fmt, subscript, tex } from "../common/format.js";
import { typeset } from "../common/typeset.js";
import { el } from "./diagram.js";

// act′(z), as the formula writes it (the server sends its value: `slope`)
const DERIVATIVE = { tanh: "1 - h^2", sigmoid: "h\\,(1 - h)", relu: "[z > 0]", linear: "1" };
const NUMBERS_ON_DIAGRAM = 12; // more units in a column than this: the numbers go in the table only

/** The steps of the walk for a network of `layers` weight layers. */
export function walkSteps(layers) {
  const steps = [{ kind: "input", l: 0, phase: "forward" }];
  for (let l = 1; l <= layers; l++) {
    steps.push({ kind: "pre", l, phase: "forward" });
    if (l < layers) steps.push({ kind: "act", l, phase: "forward" });
  }
  steps.push({ kind: "loss", l: layers, phase: "forward" });
  for (let l = layers; l >= 1; l--) steps.push({ kind: "delta", l, phase: "backward" }, { kind: "gradW", l, phase: "backward" });
  return steps;
}

const sub = (l) => `_{${l}}`;
const h = (l) => (l === 0 ? "x" : `h${sub(l)}`);
const num = (v) => (v < 0 ? `(${tex(v, 3)})` : tex(v, 3));

/** A sum written out: its first terms, then "+ ⋯" for the rest (the table has them all). */
function sumOf(terms, count = 3) {
  const shown = terms.slice(0, count).join(" + ");
  return terms.length > count ? `${shown} + \\cdots` : shown;
}

export class WalkView {
  constructor({ diagram, stepEl, formulaEl, numbersEl }) {
    this.diagram = diagram;
    this.stepEl = stepEl;
    this.formulaEl = formulaEl;
    this.numbersEl = numbersEl;
    this.walk = null;
  }

  /**
   * Show step `k` of `walk` = {reply, weights, activation, task, x, y, steps};
   * null clears the diagram's numbers.
   */
  show(walk, k) {
    this.walk = walk;
    this.k = k;
    this._drawOnDiagram();
    if (!walk) return;
    const step = walk.steps[k];
    const { say, formula } = this._words(step);
    this.stepEl.textContent = `${step.phase === "forward" ? "Forward" : "Backward"}, step ${k + 1} of ${walk.steps.length}: ${say}`;
    typeset(this.formulaEl, formula, { fit: true });
    this._table(step);
  }

  /** The diagram was rebuilt (a resize): draw the numbers again. */
  redraw() {
    if (this.walk) this._drawOnDiagram();
  }

  _layer(l) {
    return this.walk.reply.layers[l - 1];
  }

  _words(step) {
    const { reply, weights, activation, task, x, y } = this.walk;
    const L = reply.layers.length;
    const l = step.l;
    const layer = l > 0 ? this._layer(l) : null;
    const out = l === L;
    const z = out ? "\\hat y" : `z${sub(l)}`;
    switch (step.kind) {
      case "input":
        return {
          say: `the example goes in: x = (${fmt(x[0], 3)}, ${fmt(x[1], 3)}), its label y = ${fmt(y, 3)}.`,
          formula: `x = (${num(x[0])},\\ ${num(x[1])}),\\quad y = ${num(y)}`,
        };
      case "pre": {
        const W = weights[l - 1].W;
        const terms = layer.input.map((v, i) => `${num(v)}\\cdot${num(W[i][0])}`);
        return {
          say: `each unit of ${out ? "the output" : `layer ${l}`} sums its inputs times its weights, plus its bias: ${out ? "ŷ" : `z${subscript(l)}`} = ${l === 1 ? "x" : `h${subscript(l - 1)}`} W${subscript(l)} + b${subscript(l)}.`,
          formula: `${z}[0] = ${sumOf([...terms, num(weights[l - 1].b[0])])} = ${tex(layer.pre_activation[0], 4)}`,
        };
      }
      case "act":
        return {
          say: `each unit bends its sum with ${activation}: h${subscript(l)} = ${activation}(z${subscript(l)}).`,
          formula: `h${sub(l)}[0] = \\operatorname{${activation}}(${num(layer.pre_activation[0])}) = ${tex(layer.activation[0], 4)}`,
        };
      case "loss": {
        const yhat = layer.pre_activation[0];
        if (task === "classification") {
          const p = 1 / (1 + Math.exp(-yhat));
          return {
            say: `the loss of this one example: the cross-entropy of p = σ(ŷ), the probability of orange, against y = ${fmt(y)}.`,
            formula: `L = -\\big[y \\log p + (1-y)\\log(1-p)\\big],\\ p = \\sigma(${num(yhat)}) = ${tex(p, 4)} \\;\\Rightarrow\\; L = ${tex(reply.loss, 4)}`,
          };
        }
        return {
          say: "the loss of this one example: the squared error of ŷ against y.",
          formula: `L = (\\hat y - y)^2 = (${num(yhat)} - ${num(y)})^2 = ${tex(reply.loss, 4)}`,
        };
      }
      case "delta": {
        if (out) {
          const yhat = layer.pre_activation[0];
          return task === "classification"
            ? {
                say: "backward: how the loss changes with the output, δ = ∂L/∂ŷ = p − y. It starts the chain rule.",
                formula: `\\delta${sub(l)} = \\frac{\\partial L}{\\partial \\hat y} = p - y = ${tex(1 / (1 + Math.exp(-yhat)), 4)} - ${num(y)} = ${tex(layer.delta[0], 4)}`,
              }
            : {
                say: "backward: how the loss changes with the output, δ = ∂L/∂ŷ = 2(ŷ − y). It starts the chain rule.",
                formula: `\\delta${sub(l)} = \\frac{\\partial L}{\\partial \\hat y} = 2(\\hat y - y) = ${tex(layer.delta[0], 4)}`,
              };
        }
        const next = this._layer(l + 1);
        const Wn = weights[l].W; // W_{l+1}: from layer l's units to the next layer's
        const terms = next.delta.map((d, j) => `${num(Wn[0][j])}\\cdot${num(d)}`);
        const slope = layer.slope[0];
        return {
          say: `layer ${l}'s δ: the next layer's δ sent back through the weights, times the slope of ${activation} at z: δ${subscript(l)} = (W${subscript(l + 1)} δ${subscript(l + 1)}) ⊙ ${activation}′(z${subscript(l)}).`,
          formula: `\\delta${sub(l)}[0] = \\big(${sumOf(terms, 2)}\\big)\\cdot ${num(slope)} = ${tex(layer.delta[0], 4)}\\qquad ${activation}'(z) = ${DERIVATIVE[activation]}`,
        };
      }
      case "gradW": {
        const inputName = l === 1 ? "x" : `h${subscript(l - 1)}`;
        return {
          say: `every weight of W${subscript(l)}: its input times the δ of the unit it feeds, ∂L/∂W${subscript(l)} = ${inputName} ⊗ δ${subscript(l)} (and ∂L/∂b${subscript(l)} = δ${subscript(l)}). On the edges: red where ∂L/∂w > 0, blue where < 0, wider when larger.`,
          formula: `\\frac{\\partial L}{\\partial W${sub(l)}[0,0]} = ${h(l - 1)}[0]\\cdot\\delta${sub(l)}[0] = ${num(layer.input[0])}\\cdot${num(layer.delta[0])} = ${tex(layer.grad_W[0][0], 4)}`,
        };
      }
      default:
        return { say: "", formula: "" };
    }
  }

  /** What the diagram shows after step k: values of the columns reached, δ of those walked back. */
  _known() {
    const steps = this.walk.steps.slice(0, this.k + 1);
    const values = new Map(); // column → {name, v[]}
    const deltas = new Map();
    let gradLayer = null;
    for (const step of steps) {
      const layer = step.l > 0 ? this._layer(step.l) : null;
      if (step.kind === "input") values.set(0, this.walk.x);
      if (step.kind === "pre") values.set(step.l, layer.pre_activation);
      if (step.kind === "act") values.set(step.l, layer.activation);
      if (step.kind === "delta") deltas.set(step.l, layer.delta);
      gradLayer = step.kind === "gradW" ? step.l : null;
    }
    return { values, deltas, gradLayer, step: this.walk.steps[this.k] };
  }

  _drawOnDiagram() {
    const d = this.diagram;
    if (this.group) this.group.remove();
    this.group = null;
    if (!this.walk || !d.top) return;
    const g = el("g", { class: "walk-layer" }, d.top);
    this.group = g;
    const { values, deltas, gradLayer, step } = this._known();
    // the weights whose gradient this step gives: drawn over the edges, wider = larger
    if (gradLayer) {
      const grads = this._layer(gradLayer).grad_W;
      const largest = Math.max(1e-12, ...grads.flat().map(Math.abs));
      grads.forEach((row, i) =>
        row.forEach((v, j) => {
          const a = d.unitAt(gradLayer - 1, i);
          const b = d.unitAt(gradLayer, j);
          el("line", {
            x1: a.x, y1: a.y, x2: b.x, y2: b.y,
            stroke: v >= 0 ? "#b3261e" : "#1d4ed8",
            "stroke-width": (0.5 + 3.5 * Math.abs(v) / largest).toFixed(2),
            "stroke-opacity": 0.8,
            class: "walk-grad-edge",
          }, g);
        }),
      );
    }
    // the active column
    const column = step.kind === "gradW" ? null : step.l;
    if (column !== null) {
      const col = d.columns[column];
      const half = Math.max(col.r, col.side / 2) + 5;
      const top = col.ys[0] - half;
      el("rect", {
        x: col.x - half, y: top, width: 2 * half, height: col.ys[col.ys.length - 1] - col.ys[0] + 2 * half,
        rx: 6, class: "walk-ring", "data-column": column,
      }, g);
    }
    // a hidden unit's numbers to its right; the inputs' to their right, above the
    // edges; the output's to its left, so none leaves the picture
    const last = d.columns.length - 1;
    const put = (c, vs, cls, dy) =>
      vs.forEach((v, i) => {
        const col = d.columns[c];
        if (col.ys.length > NUMBERS_ON_DIAGRAM) return;
        const u = d.unitAt(c, i);
        const reach = c === 0 || c === last ? u.r + 3 : Math.max(u.r, u.side / 2) + 3;
        const t = el("text", {
          x: (c === last ? u.x - reach : u.x + reach).toFixed(1),
          y: (u.y + dy).toFixed(1),
          "text-anchor": c === last ? "end" : "start",
          class: `walk-value ${cls}`,
          "data-column": c,
          "data-unit": i,
        }, g);
        t.textContent = fmt(v, 3);
      });
    const outer = (c) => c === 0 || c === last;
    for (const [c, vs] of values) put(c, vs, "value", outer(c) ? -10 : -3);
    for (const [c, vs] of deltas) put(c, vs, "grad", outer(c) ? 18 : 9);
  }

  _table(step) {
    const box = this.numbersEl;
    box.replaceChildren();
    if (step.kind === "input" || step.kind === "loss") return;
    const layer = this._layer(step.l);
    const table = document.createElement("table");
    const row = (cells, head = false) => {
      const tr = document.createElement("tr");
      for (const c of cells) {
        const cell = document.createElement(head ? "th" : "td");
        cell.textContent = c;
        tr.append(cell);
      }
      table.append(tr);
    };
    if (step.kind === "gradW") {
      const G = layer.grad_W;
      const cols = Math.min(G[0].length, 8);
      row([`∂L/∂W${subscript(step.l)}`, ...Array.from({ length: cols }, (_, j) => `→ ${j}`), ...(G[0].length > cols ? ["…"] : [])], true);
      G.slice(0, 8).forEach((r, i) => row([`from ${i}`, ...r.slice(0, cols).map((v) => fmt(v, 3)), ...(r.length > cols ? ["…"] : [])]));
      if (G.length > 8) row(["…"]);
      row(["∂L/∂b", ...layer.grad_b.slice(0, cols).map((v) => fmt(v, 3))]);
    } else {
      const n = Math.min(layer.pre_activation.length, 16);
      row(["unit", ...Array.from({ length: n }, (_, i) => String(i)), ...(layer.pre_activation.length > n ? ["…"] : [])], true);
      row(["z", ...layer.pre_activation.slice(0, n).map((v) => fmt(v, 3))]);
      if (step.l < this.walk.reply.layers.length) row(["h", ...layer.activation.slice(0, n).map((v) => fmt(v, 3))]);
      if (step.kind === "delta") {
        row(["act′(z)", ...layer.slope.slice(0, n).map((v) => fmt(v, 3))]);
        row(["δ", ...layer.delta.slice(0, n).map((v) => fmt(v, 3))]);
      }
    }
    box.append(table);
  }
}
