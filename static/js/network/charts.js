// The training charts: loss (train and test, log scale) with accuracy, and the
// gradient norm of every layer per epoch (log scale), so vanishing or exploding
// gradients stand out. Records arrive in bursts (the socket's pace); they are
// buffered and appended with Plotly.extendTraces, at most about 10 times a
// second and at most about a sixth of the time.

import { subscript } from "../common/format.js";

const Plotly = window.Plotly;

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
export const LAYER_COLOURS = [
  "#4363d8",
  "#e6194b",
  "#3cb44b",
  "#f58231",
  "#911eb4",
  "#42d4f4",
  "#f032e6",
  "#9a6324",
  "#000075",
];

// The charts' titles are their figure captions (HTML): the legend has the top to itself.
function baseLayout(yTitle) {
  return {
    margin: { l: 54, r: 10, t: 26, b: 36 },
    paper_bgcolor: "rgba(0,0,0,0)",
    hovermode: "x unified",
    legend: { orientation: "h", x: 0, xanchor: "left", y: 1, yanchor: "bottom", font: { size: 11 } },
    xaxis: { title: { text: "epoch", standoff: 2 }, rangemode: "tozero" },
    yaxis: { title: { text: yTitle, standoff: 2 }, type: "log", exponentformat: "power" },
    uirevision: "keep",
  };
}

function line(name, colour, extra = {}) {
  return {
    type: "scatter",
    mode: "lines",
    x: [],
    y: [],
    name,
    line: { color: colour, width: 2, ...extra.line },
    ...extra.trace,
  };
}

/** A positive value for a log axis, or null (a gap) for 0 and missing values. */
function positive(v) {
  return v > 0 ? v : null;
}

export class TrainingCharts {
  constructor(lossEl, gradEl) {
    this.lossEl = lossEl;
    this.gradEl = gradEl;
    this.pending = [];
    this.timer = null;
    this.lastDraw = -Infinity;
    this.cost = 0;
    this.ready = Promise.resolve();
  }

  /** Empty charts for a run: `task`, the number of weight layers, and records already known. */
  reset({ task, layers, records = [] }) {
    this.task = task;
    this.layers = layers;
    this.pending = [];
    const classify = task === "classification";
    const lossTraces = [
      line("train loss", "#1d2330"),
      line("test loss", "#1d2330", { line: { dash: "dash" } }),
    ];
    if (classify)
      lossTraces.push(
        line("train accuracy", "#2e8b57", { trace: { yaxis: "y2" } }),
        line("test accuracy", "#2e8b57", { line: { dash: "dash" }, trace: { yaxis: "y2" } }),
      );
    const lossLayout = baseLayout("loss");
    if (classify) {
      lossLayout.margin.r = 44;
      lossLayout.yaxis2 = {
        overlaying: "y",
        side: "right",
        range: [0, 1.02],
        tickmode: "linear", // not synced to the log axis's ticks
        tick0: 0,
        dtick: 0.25,
        tickformat: ".0%",
        showgrid: false,
        title: { text: "accuracy", standoff: 2 },
      };
    }
    const gradTraces = Array.from({ length: layers }, (_, i) =>
      line(`W${subscript(i + 1)}`, LAYER_COLOURS[i % LAYER_COLOURS.length], {
        trace: { hovertemplate: `‖∂L/∂W${subscript(i + 1)}‖ %{y:.3g}<extra></extra>` },
      }),
    );
    const gradLayout = baseLayout("‖∂L/∂W‖");
    if (layers > 4) {
      // many layers: a legend down the side, not rows over the plot
      gradLayout.legend = {
        orientation: "v",
        x: 1.01,
        xanchor: "left",
        y: 1,
        yanchor: "top",
        font: { size: 11 },
      };
      gradLayout.margin.r = 44;
      gradLayout.margin.t = 10;
    }
    this.ready = Promise.all([
      Plotly.react(this.lossEl, lossTraces, lossLayout, CONFIG),
      Plotly.react(this.gradEl, gradTraces, gradLayout, CONFIG),
    ]);
    if (records.length) this.push(records);
    return this.ready;
  }

  /** Records to append (drawn at the charts' own pace). */
  push(records) {
    for (const r of records) this.pending.push(r);
    const now = performance.now();
    const interval = Math.max(100, 6 * this.cost);
    if (now - this.lastDraw >= interval) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), interval - (now - this.lastDraw));
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const records = this.pending;
    this.pending = [];
    this.lastDraw = performance.now();
    this.ready.then(() => this._extend(records));
  }

  _extend(records) {
    const started = performance.now();
    const epochs = records.map((r) => r.epoch);
    const loss = {
      x: [epochs, epochs],
      y: [records.map((r) => positive(r.train_loss)), records.map((r) => positive(r.test_loss))],
    };
    const lossIdx = [0, 1];
    if (this.task === "classification") {
      loss.x.push(epochs, epochs);
      loss.y.push(
        records.map((r) => r.train_accuracy),
        records.map((r) => r.test_accuracy),
      );
      lossIdx.push(2, 3);
    }
    Plotly.extendTraces(this.lossEl, loss, lossIdx);
    const idx = Array.from({ length: this.layers }, (_, i) => i);
    Plotly.extendTraces(
      this.gradEl,
      {
        x: idx.map(() => epochs),
        y: idx.map((i) => records.map((r) => positive(r.layers[i] && r.layers[i].weight_grad_norm))),
      },
      idx,
    );
    const cost = performance.now() - started;
    this.cost = this.cost ? 0.7 * this.cost + 0.3 * cost : cost;
  }
}
