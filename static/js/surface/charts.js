// The loss-vs-step and gradient-norm charts: one line per hiker, extended as the
// hikers walk. Each update redraws both charts, so updates are paced by what
// they cost: at most 10 a second, and at most about a sixth of the time.

// `Plotly` is plotly.js's global, read when drawing: surface/main.js runs plotly.js after the page's first look.

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function layout(title, yTitle, log) {
  return {
    margin: { l: 54, r: 8, t: 28, b: 36 },
    title: { text: title, font: { size: 13 }, x: 0.02, xanchor: "left" },
    showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    hovermode: "x unified",
    xaxis: { title: { text: "step", standoff: 2 }, rangemode: "tozero" },
    yaxis: { title: { text: yTitle, standoff: 2 }, type: log ? "log" : "linear", exponentformat: "power" },
    uirevision: "keep",
  };
}

export class Charts {
  constructor(lossEl, gradEl, noteEl) {
    this.lossEl = lossEl;
    this.gradEl = gradEl;
    this.noteEl = noteEl;
    this.lastDraw = -Infinity;
    this.pending = null;
  }

  /** New hikers or options: redraw both charts empty. */
  async reset(hikers, { logLoss, tolerance }) {
    this.hikers = hikers;
    this.logLoss = logLoss;
    this.tolerance = tolerance;
    const lines = (unit) =>
      hikers.map((h) => ({
        type: "scatter",
        mode: "lines",
        x: [],
        y: [],
        line: { color: h.colour, width: 2 },
        name: h.label,
        hovertemplate: `%{y:.4g}<extra>${h.label}</extra>`,
        meta: unit,
      }));
    const tol = {
      type: "scatter",
      mode: "lines",
      x: [0, 1],
      y: [tolerance, tolerance],
      line: { color: "#888", width: 1, dash: "dash" },
      name: "tolerance",
      hovertemplate: "tolerance %{y:.2g}<extra></extra>",
    };
    await Promise.all([
      Plotly.react(this.lossEl, lines("f"), layout("Cost f(x, y) per step", "f(x, y)", logLoss), CONFIG),
      Plotly.react(
        this.gradEl,
        tolerance > 0 ? [...lines("g"), tol] : lines("g"),
        layout("Gradient norm |∇f| per step", "|∇f|", true),
        CONFIG,
      ),
    ]);
  }

  /**
   * `makeSeries()` gives, per hiker, {steps, f, g} up to the shown step; it is
   * called only when the charts redraw (at most 10 times a second).
   */
  update(makeSeries, { force = false } = {}) {
    this.makeSeries = makeSeries;
    const now = performance.now();
    const interval = Math.max(100, 6 * (this.cost || 0));
    if (force || now - this.lastDraw > interval) {
      this._draw();
    } else if (!this.pending) {
      this.pending = setTimeout(() => this._draw(), interval - (now - this.lastDraw));
    }
  }

  _draw() {
    clearTimeout(this.pending);
    this.pending = null;
    this.lastDraw = performance.now();
    const s = this.makeSeries && this.makeSeries();
    if (!s || !this.hikers || s.length !== this.hikers.length) return;
    const idx = s.map((_, i) => i);
    Plotly.restyle(this.lossEl, { x: s.map((d) => d.steps), y: s.map((d) => d.f) }, idx).catch(() => {});
    const gradX = s.map((d) => d.steps);
    const gradY = s.map((d) => d.g);
    const gradIdx = [...idx];
    if (this.tolerance > 0) {
      const last = Math.max(1, ...s.map((d) => (d.steps.length ? d.steps[d.steps.length - 1] : 0)));
      gradX.push([0, last]);
      gradY.push([this.tolerance, this.tolerance]);
      gradIdx.push(s.length);
    }
    Plotly.restyle(this.gradEl, { x: gradX, y: gradY }, gradIdx).catch(() => {});
    const cost = performance.now() - this.lastDraw;
    this.cost = this.cost ? 0.7 * this.cost + 0.3 * cost : cost;
    if (this.noteEl) {
      const hidden = this.logLoss && s.some((d) => d.f.some((v) => v <= 0));
      this.noteEl.hidden = !hidden;
    }
  }
}
