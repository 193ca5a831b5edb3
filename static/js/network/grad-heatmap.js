// The gradient of one layer as a heatmap: ∂L/∂W_l[i][j] for every weight from
// unit i of the layer below to unit j of layer l, orange positive and blue
// negative on a scale symmetric about 0. It follows the weights the socket sends
// on request (a few times a second while training).

import { fmt, subscript } from "../common/format.js";

const Plotly = window.Plotly;
const SCALE = [
  [0, "#0877bd"],
  [0.5, "#ffffff"],
  [1, "#f59322"],
];
const CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };

export function layerName(l, layers) {
  if (l === layers) return layers === 1 ? "input → output" : `h${subscript(l - 1)} → output`;
  return l === 1 ? "input → h₁" : `h${subscript(l - 1)} → h${subscript(l)}`;
}

export class GradientHeatmap {
  constructor(el, captionEl) {
    this.el = el;
    this.captionEl = captionEl;
    this.shape = null;
  }

  clear(message) {
    this.shape = null;
    Plotly.purge(this.el);
    this.captionEl.textContent = message;
  }

  /** Show layer `l` (1-based) of `gradients` [{W, b}, …] measured at `epoch`. */
  show(l, gradients, epoch) {
    const layers = gradients.length;
    const W = gradients[l - 1].W;
    let m = 0;
    for (const row of W) for (const v of row) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
    const range = m > 0 ? m : 1;
    const fanIn = W.length;
    const fanOut = W[0].length;
    const from = l === 1 ? "input" : `h${subscript(l - 1)}`;
    const to = l === layers ? "output" : `h${subscript(l)}`;
    const trace = {
      type: "heatmap",
      z: W,
      zmin: -range,
      zmax: range,
      colorscale: SCALE,
      xgap: fanOut <= 16 ? 1 : 0,
      ygap: fanIn <= 16 ? 1 : 0,
      colorbar: { thickness: 10, len: 0.9, outlinewidth: 0, exponentformat: "power" },
      hovertemplate: `∂L/∂W${subscript(l)}[%{y}, %{x}] = %{z:.4g}<br>from ${from} unit %{y} to ${to} unit %{x}<extra></extra>`,
    };
    const shape = `${l}:${fanIn}x${fanOut}`;
    if (shape !== this.shape) {
      this.shape = shape;
      const layout = {
        margin: { l: 44, r: 8, t: 8, b: 38 },
        paper_bgcolor: "rgba(0,0,0,0)",
        xaxis: {
          title: { text: `to unit of ${to}`, standoff: 2 },
          dtick: fanOut <= 16 ? 1 : undefined,
          fixedrange: true,
          zeroline: false,
          showgrid: false,
        },
        yaxis: {
          title: { text: `from unit of ${from}`, standoff: 2 },
          dtick: fanIn <= 16 ? 1 : undefined,
          autorange: "reversed",
          fixedrange: true,
          zeroline: false,
          showgrid: false,
        },
      };
      Plotly.react(this.el, [trace], layout, CONFIG);
    } else {
      Plotly.restyle(this.el, { z: [W], zmin: [-range], zmax: [range] }, [0]).catch(() => {});
    }
    this.captionEl.textContent =
      `∂L/∂W${subscript(l)} (${layerName(l, layers)}), ${fanIn} × ${fanOut} weights at epoch ${epoch}: ` +
      `the largest is ${fmt(m, 3)} in size. Each weight moves against its colour.`;
  }
}
