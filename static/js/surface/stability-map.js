// The stability map: the selected hiker's optimizer run from its start once per cell
// of a grid of two hyperparameters, the learning rate across (log scale) and a
// second one up (momentum for gradient descent, β₁ for Adam, …), with POST
// /api/stability. Each cell's colour is its verdict, its shade how many steps it
// took (deep: few). It is computed in bands of rows, so the rows fill in as they
// arrive, with a progress bar and a Cancel that aborts the request in flight.
// Clicking a cell gives the selected hiker those values and runs it.

import { $, actions, app } from "./app.js";
import { hyperparameters, startOf } from "./state.js";
import { postJSON } from "../common/api.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { fmt, plain } from "../common/format.js";

// `Plotly` is plotly.js's global, read when drawing: surface/main.js runs plotly.js after the page's first look.
const MAX_STEPS = 10_000; // app/limits.py: MAX_STABILITY_STEPS
const MAX_WORK = 20_000_000; // app/limits.py: MAX_STABILITY_WORK (x count × y count × max_steps)
const BANDS = 4; // requests per map: the rows fill in a quarter at a time

// The second axis, per optimizer: the first is the default.
const BETA1 = { name: "beta1", label: "β₁ (mean of gradients)", min: 0, max: 0.99 };
const BETA2 = { name: "beta2", label: "β₂ (mean of squared gradients)", min: 0.5, max: 0.9999 };
const MOMENTUM = { name: "momentum", label: "momentum μ", min: 0, max: 0.99 };
const Y_AXES = {
  sgd: [MOMENTUM, { name: "weight_decay", label: "weight decay", min: 0, max: 1 }],
  adam: [BETA1, BETA2],
  adamw: [BETA1, BETA2],
  rmsprop: [MOMENTUM, { name: "alpha", label: "α (smoothing)", min: 0.5, max: 0.999 }],
  adagrad: [
    { name: "lr_decay", label: "learning-rate decay", min: 0, max: 1 },
    { name: "initial_accumulator_value", label: "initial accumulator", min: 0, max: 1 },
  ],
};

// Verdict → [deep, pale] colour (the badges' hues); the shade runs between them.
const VERDICTS = [
  ["converged", "#1e7b34", "#cfeed6"],
  ["crawling", "#2f4bc0", "#d8e0fd"],
  ["oscillating", "#b86e00", "#ffe6b3"],
  ["diverged", "#b3261e", "#f7d2ce"],
  ["saddle", "#7b2cbf", "#e8d8f7"],
  ["maximum", "#3f1766", "#d5c4e8"],
];
const PALE = 0.9; // a cell's value is verdict index + shade, shade in [0, PALE]
const WORDS = {
  converged: "converged",
  crawling: "crawling (still going when the steps ran out)",
  oscillating: "oscillating (bouncing when the steps ran out)",
  diverged: "diverged",
  saddle: "stopped at a saddle",
  maximum: "stopped at a maximum",
};

function colourscale() {
  const n = VERDICTS.length;
  const scale = [];
  VERDICTS.forEach(([, deep, pale], v) => {
    scale.push([v / n, deep], [(v + PALE) / n, pale]);
    if (v === n - 1) scale.push([1, pale]);
  });
  return scale;
}

/** The axis's values as the server computes them (np.linspace / np.geomspace). */
function axisValues({ min, max, count, scale }) {
  return Array.from({ length: count }, (_, i) => {
    const t = count === 1 ? 0 : i / (count - 1);
    return scale === "log"
      ? 10 ** (Math.log10(min) + t * (Math.log10(max) - Math.log10(min)))
      : min + t * (max - min);
  });
}

const round2 = (v) => Number(v.toPrecision(2));

export class StabilityMap {
  /** `curvature()` gives {L, where} at the selected hiker's start, or null. */
  constructor({ curvature }) {
    this.curvature = curvature;
    this.plot = $("stability-plot");
    this.controller = null;
    this.map = null;
    this.context = null;
    this.fieldsTouched = false;
    $("stab-compute").addEventListener("click", () => this.compute());
    $("stab-cancel").addEventListener("click", () => this.cancel());
    $("stab-y").addEventListener("change", () => this.sync({ force: true }));
    for (const id of ["stab-lr-min", "stab-lr-max"])
      $(id).addEventListener("change", () => {
        this.fieldsTouched = true;
        setFieldError([$("stab-lr-min"), $("stab-lr-max")], $("stab-error"), null);
      });
    this.legend();
  }

  hiker() {
    return app.state.hikers[app.state.selected];
  }

  axis() {
    const options = Y_AXES[this.hiker().optimizer] || [];
    const wanted = $("stab-y").value;
    const y = options.find((o) => o.name === wanted) || options[0];
    const h = hyperparameters(this.hiker(), app.optimizers);
    // torch refuses Nesterov momentum at 0: start just above it
    if (y && y.name === "momentum" && h.nesterov) return { ...y, min: 0.01 };
    return y;
  }

  /** After every change: a map of another surface, start, optimizer or axis is cleared. */
  sync({ force = false } = {}) {
    if (!app.info || !this.hiker()) return;
    const hiker = this.hiker();
    const options = Y_AXES[hiker.optimizer] || [];
    const select = $("stab-y");
    const names = options.map((o) => o.name).join(",");
    if (select.dataset.names !== names) {
      select.replaceChildren(...options.map((o) => new Option(o.label, o.name)));
      select.dataset.names = names;
    }
    const h = hyperparameters(hiker, app.optimizers);
    const context = JSON.stringify([
      app.state.surface,
      startOf(app.state, app.state.selected, app.info),
      hiker.optimizer,
      select.value,
      h.nesterov || false,
    ]);
    if (context !== this.context || force) {
      this.context = context;
      this.cancel();
      this.clear();
      this.fieldsTouched = false;
    }
    // the range follows the hiker until the learner types one or a map is drawn with it
    if (!this.fieldsTouched && !this.map) this.defaultRange(h);
    this.markHiker();
  }

  /** γ from a hundredth to twice the 2/L edge when the start's curvature is known; else around γ. */
  defaultRange(h) {
    const c = this.curvature();
    let [lo, hi] = [h.lr / 100, h.lr * 20];
    if (this.hiker().optimizer === "sgd" && c) [lo, hi] = [0.02 / c.L, 4 / c.L];
    $("stab-lr-min").value = plain(round2(lo));
    $("stab-lr-max").value = plain(round2(Math.min(hi, 1e6)));
  }

  clear() {
    this.map = null;
    this.plot.hidden = true;
    $("stab-progress").hidden = true;
    $("stab-status").textContent = "Compute a map for the selected hiker, from its start.";
    if (this.plot.data) Plotly.purge(this.plot);
  }

  cancel() {
    if (this.controller) this.controller.abort();
    this.controller = null;
  }

  /** The request's pieces from the form, or null with the problem shown. */
  request() {
    const lo = readNumber($("stab-lr-min"), { name: "γ from", positive: true, max: 1e6 });
    const hi = readNumber($("stab-lr-max"), { name: "γ to", positive: true, max: 1e6 });
    const problem = lo.error || hi.error || (lo.value >= hi.value ? "γ from must be below γ to." : null);
    if (problem) {
      setFieldError([$("stab-lr-min"), $("stab-lr-max")], $("stab-error"), problem);
      return null;
    }
    setFieldError([$("stab-lr-min"), $("stab-lr-max")], $("stab-error"), null);
    const count = Number($("stab-count").value);
    const y = this.axis();
    const steps = Math.min(app.state.maxSteps, MAX_STEPS, Math.floor(MAX_WORK / (count * count)));
    const hiker = this.hiker();
    return {
      count,
      steps,
      body: {
        surface: app.state.surface,
        start: startOf(app.state, app.state.selected, app.info),
        // the hiker's whole spec: the axes' values replace its own for their two names
        optimizer: { optimizer: hiker.optimizer, ...hiker.params },
        x: { name: "lr", min: lo.value, max: hi.value, count, scale: "log" },
        y: { name: y.name, min: y.min, max: y.max, count, scale: "linear" },
        max_steps: steps,
        tolerance: app.state.tolerance,
      },
      axis: y,
    };
  }

  async compute() {
    const req = this.request();
    if (!req) return;
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    const { body, count } = req;
    const ys = axisValues(body.y);
    const map = { x: null, y: [], verdict: [], steps: [], maxSteps: req.steps, axis: req.axis, body };
    this.map = map;
    const progress = $("stab-progress");
    progress.hidden = false;
    progress.max = count;
    progress.value = 0;
    $("stab-compute").disabled = true;
    $("stab-cancel").hidden = false;
    const capped = req.steps < app.state.maxSteps ? ` (max steps ${req.steps} for a map this size)` : "";
    const say = (text) => ($("stab-status").textContent = text);
    say(`Computing ${count} × ${count} runs${capped}…`);
    // bands of at least 2 rows (an axis has 2 values at least): rows i0..i1 of the full axis
    const bands = Math.max(1, Math.min(BANDS, Math.floor(count / 2)));
    try {
      for (let b = 0; b < bands; b++) {
        const i0 = Math.round((b * count) / bands);
        const i1 = Math.round(((b + 1) * count) / bands) - 1;
        const band = { ...body, y: { ...body.y, min: ys[i0], max: ys[i1], count: i1 - i0 + 1 } };
        const reply = await postJSON("/api/stability", band, controller.signal);
        map.x = reply.x;
        map.y.push(...reply.y);
        map.verdict.push(...reply.verdict);
        map.steps.push(...reply.steps);
        progress.value = map.y.length;
        say(`Computed ${map.y.length} of ${count} rows${capped}…`);
        await this.draw();
      }
      say(this.summary(map, capped));
    } catch (error) {
      if (error.name === "AbortError") say(`Cancelled after ${map.y.length} of ${count} rows.`);
      else say(`The map could not be computed: ${error.message}`);
    } finally {
      if (this.controller === controller) this.controller = null;
      $("stab-compute").disabled = false;
      $("stab-cancel").hidden = true;
      progress.hidden = true;
    }
  }

  summary(map, capped) {
    const counts = {};
    for (const row of map.verdict) for (const v of row) counts[v] = (counts[v] || 0) + 1;
    const parts = VERDICTS.filter(([v]) => counts[v]).map(([v]) => `${counts[v]} ${v}`);
    return `${parts.join(", ")}${capped}. Click a cell to run the hiker with its values.`;
  }

  /**
   * z = verdict index + shade: among the cells of one verdict, deep for the fewest
   * steps and pale for the most (on a log scale); runs that ran out of steps are all
   * alike, half way.
   */
  cells(map) {
    const range = {};
    map.verdict.forEach((row, i) =>
      row.forEach((v, j) => {
        const s = Math.log1p(map.steps[i][j]);
        const r = (range[v] = range[v] || [s, s]);
        range[v] = [Math.min(r[0], s), Math.max(r[1], s)];
      }),
    );
    const z = [];
    const text = [];
    map.verdict.forEach((row, i) => {
      z.push(
        row.map((v, j) => {
          const index = VERDICTS.findIndex(([name]) => name === v);
          if (index < 0) return null;
          const [lo, hi] = range[v];
          const ranOut = v === "crawling" || v === "oscillating";
          const t = ranOut || hi === lo ? 0.5 : (Math.log1p(map.steps[i][j]) - lo) / (hi - lo);
          return index + PALE * t;
        }),
      );
      text.push(
        row.map((v, j) => {
          const steps = map.steps[i][j];
          const how = v === "diverged" ? `after ${steps} steps` : `in ${steps} steps`;
          return `γ = ${fmt(map.x[j], 3)}, ${map.axis.name} = ${fmt(map.y[i], 3)}<br>${WORDS[v] || v} ${how}`;
        }),
      );
    });
    return { z, text };
  }

  async draw() {
    const map = this.map;
    if (!map || !map.x) return;
    this.plot.hidden = false;
    const { z, text } = this.cells(map);
    const theory = this.theory(map);
    const lx = map.x.map(Math.log10);
    const decades = [];
    for (let e = Math.floor(lx[0]); e <= Math.ceil(lx[lx.length - 1]); e++)
      for (const m of [1, 2, 5]) {
        const v = Math.log10(m) + e;
        if (v >= lx[0] - 1e-9 && v <= lx[lx.length - 1] + 1e-9) decades.push(v);
      }
    const traces = [
      {
        type: "heatmap",
        x: lx,
        y: map.y,
        z,
        text,
        zmin: 0,
        zmax: VERDICTS.length,
        colorscale: colourscale(),
        showscale: false,
        hovertemplate: "%{text}<extra></extra>",
        name: "runs",
      },
      ...(theory ? [theory.trace] : []),
      this.hikerTrace(),
    ];
    const key = $("stab-theory-key");
    key.hidden = !theory;
    if (theory) key.lastChild.textContent = ` ${theory.meaning}`;
    const layout = {
      margin: { l: 56, r: 12, t: 8, b: 44 },
      xaxis: {
        title: { text: "learning rate γ (log scale)", standoff: 4 },
        tickvals: decades,
        ticktext: decades.map((v) => fmt(10 ** v, 2)),
        range: [lx[0] - (lx[1] - lx[0]) / 2, lx[lx.length - 1] + (lx[1] - lx[0]) / 2],
        fixedrange: true,
      },
      yaxis: {
        title: { text: map.axis.label, standoff: 4 },
        range: [map.body.y.min, map.body.y.max].map(
          (v, k) => v + (k ? 0.5 : -0.5) * ((map.body.y.max - map.body.y.min) / (map.body.y.count - 1)),
        ),
        fixedrange: true,
      },
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#f4f6fa",
      dragmode: false,
    };
    await Plotly.react(this.plot, traces, layout, { displayModeBar: false, responsive: true });
    if (!this.listening) {
      this.listening = true;
      this.plot.on("plotly_click", (event) => this.clicked(event));
    }
  }

  /**
   * On a bowl heavy-ball momentum converges exactly for γλ < 2(1 + μ): the edge for
   * the start's curvature, drawn where it holds along the whole path (L the same at
   * the start and at the minimum, as on a quadratic).
   */
  theory(map) {
    const c = this.curvature({ bowl: true });
    const h = hyperparameters(this.hiker(), app.optimizers);
    if (!c || this.hiker().optimizer !== "sgd" || map.axis.name !== "momentum" || h.dampening || h.nesterov)
      return null;
    const L = c.L + (h.weight_decay || 0);
    const mu = axisValues({ min: map.body.y.min, max: map.body.y.max, count: 50, scale: "linear" });
    return {
      trace: {
        type: "scatter",
        mode: "lines",
        x: mu.map((m) => Math.log10((2 * (1 + m)) / L)),
        y: mu,
        line: { color: "#1d2330", width: 2, dash: "dash" },
        hoverinfo: "skip",
        name: "theory",
      },
      meaning: `the edge in theory, γ = 2(1 + μ)/L with L = ${fmt(L, 3)}: on a bowl, runs left of it converge`,
    };
  }

  /** The selected hiker's own values, as a ring on the map. */
  hikerTrace() {
    const map = this.map;
    const h = hyperparameters(this.hiker(), app.optimizers);
    const y = this.valueOf(h, map.axis.name);
    return {
      type: "scatter",
      mode: "markers",
      x: [Math.log10(h.lr)],
      y: [y],
      marker: { symbol: "circle-open", size: 14, color: "#ffffff", line: { width: 3 } },
      cliponaxis: false,
      hoverinfo: "skip",
      name: "this hiker",
    };
  }

  valueOf(h, name) {
    if (name === "beta1") return h.betas[0];
    if (name === "beta2") return h.betas[1];
    return h[name];
  }

  markHiker() {
    if (!this.map || !this.map.x || !this.plot.data) return;
    const t = this.hikerTrace();
    const index = this.plot.data.length - 1;
    Plotly.restyle(this.plot, { x: [t.x], y: [t.y] }, [index]).catch(() => {});
  }

  /** A cell clicked: the hiker takes its learning rate and second value, and runs. */
  async clicked(event) {
    const map = this.map;
    const point = event.points && event.points[0];
    if (!map || !point) return;
    const nearest = (values, v) =>
      values.reduce((best, u, k) => (Math.abs(u - v) < Math.abs(values[best] - v) ? k : best), 0);
    const j = nearest(map.x.map(Math.log10), point.x);
    const i = nearest(map.y, point.y);
    const hiker = this.hiker();
    const h = hyperparameters(hiker, app.optimizers);
    const value = map.y[i];
    hiker.params.lr = map.x[j];
    if (map.axis.name === "beta1") hiker.params.betas = [value, h.betas[1]];
    else if (map.axis.name === "beta2") hiker.params.betas = [h.betas[0], value];
    else hiker.params[map.axis.name] = value;
    $("stab-status").textContent =
      `Running the hiker with γ = ${fmt(map.x[j], 3)}, ${map.axis.name} = ${fmt(value, 3)}: ${map.verdict[i][j]} on the map.`;
    await actions.hikersChanged({ restart: false });
    actions.startRun({ play: true });
  }

  legend() {
    const list = $("stability-legend");
    list.replaceChildren(
      ...VERDICTS.map(([name, deep, pale]) => {
        const li = document.createElement("li");
        const swatch = document.createElement("span");
        swatch.className = "swatch stab-swatch";
        swatch.style.background = `linear-gradient(90deg, ${deep}, ${pale})`;
        swatch.setAttribute("aria-hidden", "true");
        li.append(swatch, ` ${name}`);
        return li;
      }),
    );
    const shade = document.createElement("li");
    shade.className = "hint";
    shade.textContent = "deep: few steps · pale: many · ◯ the hiker's own values";
    const theory = document.createElement("li");
    theory.id = "stab-theory-key";
    theory.hidden = true;
    const dash = document.createElement("span");
    dash.className = "theory-key";
    dash.setAttribute("aria-hidden", "true");
    theory.append(dash, document.createTextNode(""));
    list.append(shade, theory);
  }
}
