// The network as a diagram (SVG): the inputs, each hidden layer's units and the
// output; every weight an edge, orange when positive and blue when negative,
// wider and stronger the larger it is; every unit filled by its bias. Above each
// band of edges, that layer's gradient norm ‖∂L/∂W‖ with a bar that compares it
// with the largest layer's (gradient-health.js says when that is vanishing).
//
// Three layers, bottom to top: the SVG of edges, units and labels; a canvas
// with each hidden unit's map (unit-maps.js); an SVG overlay for what points
// at one unit or weight (the hovered edge, one example's backprop numbers).
//
// Edges are grouped by layer, sign and size into a few <path>s (not one element
// per weight), so a weight update rewrites a handful of attributes even for
// 64-unit layers; hit() finds the weight under the pointer by geometry.

import { fmt, subscript } from "../common/format.js";
import { gradientHealth } from "./gradient-health.js";
import { UnitMaps } from "./unit-maps.js";

export const SVG = "http://www.w3.org/2000/svg";
const POSITIVE = "#f59322";
const NEGATIVE = "#0877bd";
const BUCKETS = 7; // edge sizes: |w| < 0.1, < 0.2, < 0.4 … ≥ 3.2
const CHAR = 6.4; // about the width of one character of an 11px label

export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.append(node);
  return node;
}

/** Size class of a weight: 0 (|w| < 0.1) … BUCKETS − 1, doubling each step. */
function bucketOf(w) {
  const a = Math.abs(w);
  if (!(a >= 0.1)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(a / 0.1)));
}

/** Path slot of a weight: small edges first, the two signs alternating, so large ones lie on top. */
function slotOf(w) {
  return 2 * bucketOf(w) + (w >= 0 ? 0 : 1);
}

/** A bias as a fill: white at 0, towards orange (positive) or blue (negative). */
function biasFill(b) {
  const t = Math.tanh(Math.abs(b));
  const [r, g, bl] = b >= 0 ? [245, 147, 34] : [8, 119, 189];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(bl)})`;
}

/** Distance from (px, py) to the segment a–b. */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The name of a column of units: x (inputs), h₁ … (hidden layers), ŷ (the output). */
export function columnName(c, columns) {
  if (c === 0) return "x";
  if (c === columns - 1) return "ŷ";
  return `h${subscript(c)}`;
}

export class NetworkDiagram {
  constructor(container) {
    this.container = container;
    this.sizes = null;
    this.weights = null;
    this.gradients = null;
    this.norms = null;
    this.width = 0;
    this.maps = new UnitMaps();
    this.onBuild = () => {};
    new ResizeObserver(() => {
      const width = Math.round(this.container.clientWidth);
      if (width && width !== this.width && this.sizes) this._build();
    }).observe(container);
  }

  /** A new network: `sizes` [2, …hidden, 1], its activation and task. */
  setStructure(sizes, activation, task) {
    this.sizes = sizes;
    this.activation = activation;
    this.task = task;
    this.weights = null;
    this.gradients = null;
    this.norms = null;
    this.maps.clear();
    this._build();
  }

  _build() {
    const sizes = this.sizes;
    const width = Math.max(260, Math.round(this.container.clientWidth));
    this.width = width;
    const narrow = width < 400; // a phone
    const height = narrow ? 300 : 380;
    const top = 50; // room for the gradient labels
    const bottom = 34; // room for the layer names
    const left = 30;
    const right = 30;
    const gap = (width - left - right) / (sizes.length - 1);
    this.gap = gap;
    this.height = height;
    const space = height - top - bottom;
    this.columns = sizes.map((units, c) => {
      const x = left + c * gap;
      const step = Math.min(34, space / units);
      const y0 = top + (space - step * (units - 1)) / 2;
      const r = Math.max(1.6, Math.min(9, step * 0.36));
      // a hidden unit's map: a square as large as its row allows, never wider than the gap
      const side = Math.min(step * 0.84, 28, gap * 0.45);
      return { x, r, side, ys: Array.from({ length: units }, (_, i) => y0 + i * step) };
    });

    const svg = el("svg", {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "diagram-svg-title",
      class: "diagram-svg",
    });
    const title = el("title", { id: "diagram-svg-title" }, svg);
    const hidden = sizes.slice(1, -1);
    title.textContent =
      `A network with 2 inputs, ${hidden.length ? `hidden layers of ${hidden.join(", ")} ${this.activation} units` : "no hidden layer"} and 1 output. ` +
      "Edges are weights: orange positive, blue negative, wider when larger. Each hidden unit shows what it computes over the input plane.";

    this._buildEdges(svg);
    this._buildUnits(svg);
    this._buildLabels(svg, narrow);
    this._buildGradLabels(svg);

    // over the SVG: the units' maps, then what points at one unit or weight
    const canvas = document.createElement("canvas");
    canvas.className = "unit-maps";
    this.maps.attach(canvas, { width, height, columns: this.columns });
    this.top = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "diagram-top", "aria-hidden": "true" });
    this.highlight = el("path", { class: "edge-highlight", d: "" }, this.top);
    this.container.replaceChildren(svg, canvas, this.top);
    this.svg = svg;
    if (this.weights) this.setWeights(this.weights);
    else this._drawPlaceholder();
    if (this.norms) this.setGradNorms(this.norms);
    this.maps.redraw();
    this.onBuild();
  }

  _buildEdges(svg) {
    const edges = el("g", { class: "edges" }, svg);
    this.edgePaths = [];
    for (let l = 1; l < this.sizes.length; l++) {
      const group = el("g", { "data-layer": l }, edges);
      const paths = [];
      for (let b = 0; b < BUCKETS; b++)
        for (const sign of [1, -1])
          paths.push(
            el(
              "path",
              {
                fill: "none",
                stroke: sign > 0 ? POSITIVE : NEGATIVE,
                "stroke-width": (0.3 + 0.45 * b).toFixed(2),
                "stroke-opacity": (0.25 + 0.1 * b).toFixed(2),
                "stroke-linecap": "round",
                "data-sign": sign > 0 ? "+" : "-",
                "data-size": b,
              },
              group,
            ),
          );
      this.edgePaths.push(paths);
    }
    // before the first weights arrive: every edge thin and grey
    this.placeholder = el("path", { fill: "none", stroke: "#b9c1d1", "stroke-width": 0.6 }, edges);
  }

  _buildUnits(svg) {
    const nodes = el("g", { class: "nodes" }, svg);
    this.nodes = this.columns.map((col, c) =>
      col.ys.map((y, i) =>
        el(
          "circle",
          {
            cx: col.x.toFixed(1),
            cy: y.toFixed(1),
            r: col.r.toFixed(1),
            fill: c === 0 ? "#e3e7ee" : "#ffffff",
            stroke: "#1d2330",
            "stroke-width": col.r > 4 ? 1.2 : 0.6,
            "data-unit": `${c}:${i}`,
          },
          nodes,
        ),
      ),
    );
  }

  _buildLabels(svg, narrow) {
    const sizes = this.sizes;
    const text = (x, y, content, attrs = {}) => {
      const t = el("text", { x: x.toFixed(1), y: y.toFixed(1), ...attrs }, svg);
      t.textContent = content;
      return t;
    };
    const first = this.columns[0];
    first.ys.forEach((y, i) =>
      text(first.x - first.r - 4, y + 4, `x${subscript(i + 1)}`, { "text-anchor": "end", class: "unit-label" }),
    );
    const last = this.columns[this.columns.length - 1];
    text(last.x + last.r + 4, last.ys[0] + 4, "ŷ", { "text-anchor": "start", class: "unit-label" });
    // Layer names under the columns, each kept within its own column's width so
    // neighbours never run together ("64 tanh" / "output" on a wide network).
    const room = this.gap - 8;
    const fits = (label) => label.length * CHAR <= room;
    const activation = !narrow && fits(this.activation) ? this.activation : null;
    this.activationShown = Boolean(activation) || sizes.length === 2;
    sizes.forEach((units, c) => {
      const y = this.height - 20;
      if (c === 0) {
        text(first.x - first.r, y, "input", { "text-anchor": "start", class: "layer-label" });
      } else if (c === sizes.length - 1) {
        const name = this.task === "classification" && fits("output (logit)") ? "output (logit)" : "output";
        text(last.x + last.r, y, name, { "text-anchor": "end", class: "layer-label" });
      } else {
        text(this.columns[c].x, y, `${units}`, { "text-anchor": "middle", class: "layer-label" });
        if (activation)
          text(this.columns[c].x, y + 13, activation, { "text-anchor": "middle", class: "layer-label" });
      }
    });
  }

  _buildGradLabels(svg) {
    this.gradLabels = [];
    const stagger = this.gap < 56; // values would touch: alternate them up and down
    for (let l = 1; l < this.sizes.length; l++) {
      const x = (this.columns[l - 1].x + this.columns[l].x) / 2;
      const g = el("g", { class: "grad-label", "data-layer": l }, svg);
      const name = el("text", { x: x.toFixed(1), y: 11, "text-anchor": "middle", class: "grad-name" }, g);
      name.textContent = this.gap > 64 ? `‖∂L/∂W${subscript(l)}‖` : `W${subscript(l)}`;
      const valueY = stagger && l % 2 === 0 ? 34 : 24;
      const value = el("text", { x: x.toFixed(1), y: valueY, "text-anchor": "middle", class: "grad-value" }, g);
      value.textContent = "—";
      const barWidth = Math.min(60, this.gap * 0.7);
      const x0 = x - barWidth / 2;
      const barY = stagger ? 38 : 30;
      el("rect", { x: x0.toFixed(1), y: barY, width: barWidth.toFixed(1), height: 5, class: "grad-track" }, g);
      const bar = el("rect", { x: x0.toFixed(1), y: barY, width: 0, height: 5, class: "grad-bar" }, g);
      // the 1/100 mark: a bar shorter than this is 100× smaller than the largest layer's
      const tick = x0 + barWidth / 2;
      el("line", { x1: tick, x2: tick, y1: barY - 1.5, y2: barY + 6.5, class: "grad-tick" }, g);
      this.gradLabels.push({ group: g, value, bar, barWidth });
    }
  }

  _drawPlaceholder() {
    const d = [];
    for (let l = 1; l < this.columns.length; l++) {
      const a = this.columns[l - 1];
      const b = this.columns[l];
      for (const ya of a.ys)
        for (const yb of b.ys) d.push(`M${a.x.toFixed(1)} ${ya.toFixed(1)}L${b.x.toFixed(1)} ${yb.toFixed(1)}`);
    }
    this.placeholder.setAttribute("d", d.join(""));
  }

  /** New weights [{W, b}, …] (hidden layers first) and, when known, their gradients. */
  setWeights(weights, gradients = this.gradients) {
    if (!this.sizes || weights.length !== this.sizes.length - 1) return;
    this.weights = weights;
    this.gradients = gradients;
    this.placeholder.setAttribute("d", "");
    weights.forEach(({ W, b }, i) => {
      const a = this.columns[i];
      const c = this.columns[i + 1];
      const segments = Array.from({ length: 2 * BUCKETS }, () => []);
      for (let r = 0; r < W.length; r++) {
        const row = W[r];
        for (let k = 0; k < row.length; k++) {
          const w = row[k];
          if (w === null) continue;
          segments[slotOf(w)].push(`M${a.x.toFixed(1)} ${a.ys[r].toFixed(1)}L${c.x.toFixed(1)} ${c.ys[k].toFixed(1)}`);
        }
      }
      this.edgePaths[i].forEach((path, slot) => path.setAttribute("d", segments[slot].join("")));
      this.nodes[i + 1].forEach((node, k) => node.setAttribute("fill", biasFill(b[k] ?? 0)));
    });
  }

  /** Each hidden unit's activation over the input plane: units[layer][unit] is a grid. */
  setUnits(units, activation = this.activation) {
    this.maps.set(units, activation);
  }

  /**
   * The newest record's layers [{layer, weight_grad_norm}, …]: the values, and bars
   * that compare each layer with the largest, coloured by its health.
   */
  setGradNorms(layers) {
    this.norms = layers;
    if (!this.gradLabels) return;
    const health = gradientHealth(layers.map((layer) => layer.weight_grad_norm));
    layers.forEach((layer, i) => {
      const label = this.gradLabels[i];
      if (!label) return;
      label.value.textContent = fmt(layer.weight_grad_norm, 2);
      const { ratio, health: state } = health[i];
      // 1 (the largest) fills the track, 1/10⁴ and less leaves it empty; 1/100 is the middle
      const t = ratio > 0 ? Math.min(1, Math.max(0, 1 + Math.log10(ratio) / 4)) : 0;
      label.bar.setAttribute("width", (t * label.barWidth).toFixed(1));
      label.group.dataset.health = state;
      label.group.dataset.ratio = ratio === null ? "" : String(ratio);
    });
  }

  // ------------------------------------------------------------ what is under the pointer

  /** The position of unit i of column c: {x, y, side} (side: its map's square). */
  unitAt(c, i) {
    const col = this.columns[c];
    return { x: col.x, y: col.ys[i], side: col.side, r: col.r };
  }

  /** What lies at (px, py) in the diagram: {kind: "unit", c, i} | {kind: "edge", l, i, j} | null. */
  hit(px, py) {
    if (!this.columns) return null;
    for (let c = 0; c < this.columns.length; c++) {
      const col = this.columns[c];
      const reach = Math.max(col.r, col.side / 2) + 3;
      if (Math.abs(px - col.x) > reach) continue;
      let best = null;
      col.ys.forEach((y, i) => {
        const d = Math.abs(py - y);
        if (d <= reach && (!best || d < best.d)) best = { d, i };
      });
      if (best) return { kind: "unit", c, i: best.i };
    }
    for (let l = 1; l < this.columns.length; l++) {
      const a = this.columns[l - 1];
      const b = this.columns[l];
      if (px < a.x || px > b.x) continue;
      let best = null;
      a.ys.forEach((ya, i) =>
        b.ys.forEach((yb, j) => {
          const d = segmentDistance(px, py, a.x, ya, b.x, yb);
          if (d <= 4 && (!best || d < best.d)) best = { d, i, j };
        }),
      );
      return best ? { kind: "edge", l, i: best.i, j: best.j } : null;
    }
    return null;
  }

  /** Draw weight (l, i, j) on top (or nothing, with null). */
  highlightEdge(edge) {
    if (!edge) {
      this.highlight.setAttribute("d", "");
      return;
    }
    const a = this.unitAt(edge.l - 1, edge.i);
    const b = this.unitAt(edge.l, edge.j);
    this.highlight.setAttribute("d", `M${a.x.toFixed(1)} ${a.y.toFixed(1)}L${b.x.toFixed(1)} ${b.y.toFixed(1)}`);
  }
}
