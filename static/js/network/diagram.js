// The network as a diagram (SVG): the inputs, each hidden layer's units and the
// output; every weight an edge, orange when positive and blue when negative,
// wider and stronger the larger it is; every unit filled by its bias. Above each
// band of edges, that layer's gradient norm ‖∂L/∂W‖ with a bar on a log scale,
// so a vanishing gradient shows as a row of shrinking bars.
//
// Edges are grouped by layer, sign and size into a few <path>s (not one element
// per weight), so a weight update rewrites a handful of attributes even for
// 64-unit layers.

import { fmt, subscript } from "../common/format.js";

const SVG = "http://www.w3.org/2000/svg";
const POSITIVE = "#f59322";
const NEGATIVE = "#0877bd";
const BUCKETS = 7; // edge sizes: |w| < 0.1, < 0.2, < 0.4 … ≥ 3.2
function el(name, attrs = {}, parent = null) {
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

export class NetworkDiagram {
  constructor(container) {
    this.container = container;
    this.sizes = null;
    this.weights = null;
    this.norms = null;
    this.width = 0;
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
    this.norms = null;
    this._build();
  }

  _build() {
    const sizes = this.sizes;
    const width = Math.max(260, Math.round(this.container.clientWidth));
    this.width = width;
    const narrow = width < 400; // a phone
    const height = narrow ? 280 : 360;
    const top = 46; // room for the gradient labels
    const bottom = 30; // room for the layer names
    const left = 30;
    const right = 30;
    const gap = (width - left - right) / (sizes.length - 1);
    this.columns = sizes.map((units, c) => {
      const x = left + c * gap;
      const space = height - top - bottom;
      const step = Math.min(30, space / units);
      const y0 = top + (space - step * (units - 1)) / 2;
      const r = Math.max(1.6, Math.min(9, step * 0.36));
      return { x, r, ys: Array.from({ length: units }, (_, i) => y0 + i * step) };
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
      "Edges are weights: orange positive, blue negative, wider when larger.";

    // edges: per layer, one path per (sign, size)
    const edges = el("g", { class: "edges" }, svg);
    this.edgePaths = [];
    for (let l = 1; l < sizes.length; l++) {
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

    // units
    const nodes = el("g", { class: "nodes" }, svg);
    this.nodes = this.columns.map((col, c) =>
      col.ys.map((y) =>
        el(
          "circle",
          {
            cx: col.x.toFixed(1),
            cy: y.toFixed(1),
            r: col.r.toFixed(1),
            fill: c === 0 ? "#e3e7ee" : "#ffffff",
            stroke: "#1d2330",
            "stroke-width": col.r > 4 ? 1.2 : 0.6,
          },
          nodes,
        ),
      ),
    );

    // labels: inputs, output, layer names
    const text = (x, y, content, attrs = {}) => {
      const t = el("text", { x: x.toFixed(1), y: y.toFixed(1), ...attrs }, svg);
      t.textContent = content;
      return t;
    };
    const first = this.columns[0];
    first.ys.forEach((y, i) =>
      text(first.x - first.r - 4, y + 4, `x${subscript(i + 1)}`, {
        "text-anchor": "end",
        class: "unit-label",
      }),
    );
    const last = this.columns[this.columns.length - 1];
    text(last.x + last.r + 4, last.ys[0] + 4, "ŷ", { "text-anchor": "start", class: "unit-label" });
    sizes.forEach((units, c) => {
      let name;
      if (c === 0) name = "input";
      else if (c === sizes.length - 1)
        name = this.task === "classification" && gap > 90 ? "output (logit)" : "output";
      else name = narrow ? `${units}` : `${units} ${this.activation}`;
      // the outer columns' names lean inwards so they stay inside the picture
      const anchor = c === 0 ? "start" : c === sizes.length - 1 ? "end" : "middle";
      const x = this.columns[c].x + (c === 0 ? -first.r : c === sizes.length - 1 ? last.r : 0);
      text(x, height - 10, name, { "text-anchor": anchor, class: "layer-label" });
    });

    // gradient norm per weight layer, above its band of edges
    this.gradLabels = [];
    for (let l = 1; l < sizes.length; l++) {
      const x = (this.columns[l - 1].x + this.columns[l].x) / 2;
      const g = el("g", { class: "grad-label", "data-layer": l }, svg);
      const name = el("text", { x: x.toFixed(1), y: 12, "text-anchor": "middle", class: "grad-name" }, g);
      name.textContent = gap > 64 ? `‖∂L/∂W${subscript(l)}‖` : `W${subscript(l)}`;
      const value = el("text", { x: x.toFixed(1), y: 26, "text-anchor": "middle", class: "grad-value" }, g);
      value.textContent = "—";
      const barWidth = Math.min(60, gap * 0.7);
      el(
        "rect",
        {
          x: (x - barWidth / 2).toFixed(1),
          y: 31,
          width: barWidth.toFixed(1),
          height: 4,
          class: "grad-track",
        },
        g,
      );
      const bar = el(
        "rect",
        { x: (x - barWidth / 2).toFixed(1), y: 31, width: 0, height: 4, class: "grad-bar" },
        g,
      );
      this.gradLabels.push({ value, bar, barWidth });
    }

    this.container.replaceChildren(svg);
    this.svg = svg;
    if (this.weights) this.setWeights(this.weights);
    else this._drawPlaceholder();
    if (this.norms) this.setGradNorms(this.norms);
  }

  _drawPlaceholder() {
    const d = [];
    for (let l = 1; l < this.columns.length; l++) {
      const a = this.columns[l - 1];
      const b = this.columns[l];
      for (const ya of a.ys)
        for (const yb of b.ys)
          d.push(`M${a.x.toFixed(1)} ${ya.toFixed(1)}L${b.x.toFixed(1)} ${yb.toFixed(1)}`);
    }
    this.placeholder.setAttribute("d", d.join(""));
  }

  /** New weights [{W, b}, …] (hidden layers first): edge colours and sizes, unit fills. */
  setWeights(weights) {
    if (!this.sizes || weights.length !== this.sizes.length - 1) return;
    this.weights = weights;
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
          segments[slotOf(w)].push(
            `M${a.x.toFixed(1)} ${a.ys[r].toFixed(1)}L${c.x.toFixed(1)} ${c.ys[k].toFixed(1)}`,
          );
        }
      }
      this.edgePaths[i].forEach((path, slot) => path.setAttribute("d", segments[slot].join("")));
      this.nodes[i + 1].forEach((node, k) => node.setAttribute("fill", biasFill(b[k] ?? 0)));
    });
  }

  /** The newest record's layers [{layer, weight_grad_norm}, …]: labels and log-scale bars. */
  setGradNorms(layers) {
    this.norms = layers;
    if (!this.gradLabels) return;
    layers.forEach((layer, i) => {
      const label = this.gradLabels[i];
      if (!label) return;
      const g = layer.weight_grad_norm;
      label.value.textContent = fmt(g, 2);
      // bar: 1e-8 … 1e1 across the track
      const t = g > 0 ? Math.min(1, Math.max(0, (Math.log10(g) + 8) / 9)) : 0;
      label.bar.setAttribute("width", (t * label.barWidth).toFixed(1));
      label.bar.classList.toggle("vanishing", g < 1e-4);
    });
  }
}
