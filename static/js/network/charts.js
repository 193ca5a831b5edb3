// The training charts: the loss (train and test) with the accuracy on its own
// axis below it, and the gradient norm of every layer per epoch (log scale), so
// vanishing or exploding gradients stand out. A learning-rate change is a
// dashed line across both, labelled with the new rate. Records arrive in bursts
// (the socket's pace); they are buffered and appended with Plotly.extendTraces,
// at most about 10 times a second and at most about a sixth of the time.

import { subscript } from "../common/format.js";

const Plotly = window.Plotly;

/** Plotly's toolbar on hover (app.css hides it on a phone, where it would cover the legend). */
export function plotConfig(extra = {}) {
  return {
    displaylogo: false,
    responsive: true,
    displayModeBar: "hover",
    modeBarButtonsToRemove: ["lasso2d", "select2d"],
    ...extra,
  };
}

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
const MARK_COLOUR = "#8a6d00";

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

/** The words an empty chart shows until a run has two epochs to draw a line through. */
function placeholder(text) {
  return {
    text,
    xref: "paper",
    yref: "paper",
    x: 0.5,
    y: 0.5,
    showarrow: false,
    font: { size: 13, color: "#5b6475" },
    bgcolor: "rgba(255,255,255,0.85)",
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
    this.lossScale = "log";
    this.marks = [];
    this.drawnPoints = 0;
  }

  /** Empty charts for a run: `task`, the number of weight layers, and records already known. */
  reset({ task, layers, records = [], marks = [] }) {
    this.task = task;
    this.layers = layers;
    this.pending = [];
    this.marks = [...marks];
    this.drawnPoints = 0;
    const classify = task === "classification";
    const lossTraces = [
      line("train loss", "#1d2330"),
      line("test loss", "#1d2330", { line: { dash: "dash" } }),
    ];
    const lossLayout = baseLayout("loss");
    lossLayout.yaxis.type = this.lossScale;
    if (classify) {
      // accuracy on its own axis below the loss, sharing the epochs
      lossTraces.push(
        line("train accuracy", "#2e8b57", { trace: { yaxis: "y2" } }),
        line("test accuracy", "#2e8b57", { line: { dash: "dash" }, trace: { yaxis: "y2" } }),
      );
      lossLayout.yaxis.domain = [0.38, 1];
      lossLayout.yaxis2 = {
        domain: [0, 0.28],
        range: [0, 1.04],
        tickvals: [0, 0.5, 1],
        tickformat: ".0%",
        title: { text: "accuracy", standoff: 2 },
        fixedrange: true,
      };
      lossLayout.xaxis.anchor = "y2";
    }
    lossLayout.annotations = [placeholder("Press Train: the loss of each epoch appears here.")];
    const gradTraces = Array.from({ length: layers }, (_, i) =>
      line(`W${subscript(i + 1)}`, LAYER_COLOURS[i % LAYER_COLOURS.length], {
        trace: { hovertemplate: `‖∂L/∂W${subscript(i + 1)}‖ %{y:.3g}<extra></extra>` },
      }),
    );
    const gradLayout = baseLayout("‖∂L/∂W‖");
    if (layers > 4) {
      // many layers: a legend down the side, not rows over the plot
      gradLayout.legend = { orientation: "v", x: 1.01, xanchor: "left", y: 1, yanchor: "top", font: { size: 11 } };
      gradLayout.margin.r = 44;
      gradLayout.margin.t = 10;
    }
    gradLayout.annotations = [placeholder("Each layer's gradient size, epoch by epoch.")];
    this.ready = Promise.all([
      Plotly.react(this.lossEl, lossTraces, lossLayout, plotConfig()),
      Plotly.react(this.gradEl, gradTraces, gradLayout, plotConfig()),
    ]);
    if (records.length) this.push(records);
    if (this.marks.length) this.ready.then(() => this._drawMarks());
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

  /** A change of learning rate (or optimizer) at `epoch`: a labelled line across both charts. */
  mark(epoch, text) {
    this.marks.push({ epoch, text });
    this.ready.then(() => this._drawMarks());
  }

  /** "log" or "linear" for the loss axis. */
  setLossScale(scale) {
    this.lossScale = scale;
    this.ready.then(() => Plotly.relayout(this.lossEl, { "yaxis.type": scale, "yaxis.autorange": true }));
  }

  _drawMarks() {
    const shapes = this.marks.map((m) => ({
      type: "line",
      xref: "x",
      yref: "paper",
      x0: m.epoch,
      x1: m.epoch,
      y0: 0,
      y1: 1,
      line: { color: MARK_COLOUR, width: 1.5, dash: "dot" },
    }));
    const labels = this.marks.map((m, k) => ({
      text: m.text,
      xref: "x",
      yref: "paper",
      x: m.epoch,
      y: k % 2 ? 0.9 : 1,
      xanchor: "left",
      yanchor: "top",
      showarrow: false,
      font: { size: 10, color: MARK_COLOUR },
      bgcolor: "rgba(255,255,255,0.8)",
    }));
    const empty = this.drawnPoints < 2;
    Plotly.relayout(this.lossEl, {
      shapes,
      annotations: [...labels, ...(empty ? [placeholder("Press Train: the loss of each epoch appears here.")] : [])],
    });
    Plotly.relayout(this.gradEl, { shapes });
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
    const before = this.drawnPoints;
    this.drawnPoints += records.length;
    if (before < 2 && this.drawnPoints >= 2) {
      // a line to see: the placeholder words go (the marks stay)
      this._drawMarks();
      Plotly.relayout(this.gradEl, { annotations: [] });
    }
    const cost = performance.now() - started;
    this.cost = this.cost ? 0.7 * this.cost + 0.3 * cost : cost;
  }
}
