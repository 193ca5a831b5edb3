// The surface explorer: wires the state (URL), the API, the run and the views.
// Every change goes the same way: update `state`, write the URL, then redraw
// what depends on it (the surface only when the surface or its colouring
// changes; otherwise just the hikers).

import { api } from "./api.js";
import { computeBasins, renderLegend } from "./basins.js";
import { Charts } from "./charts.js";
import {
  FORMULA_OPTION,
  fillOptimizerSelect,
  fillSurfaceSelect,
  lrToSlider,
  readHyperFieldsChecked,
  readNumber,
  renderHikerList,
  renderHyperFields,
  setFieldError,
  sliderToSpeed,
  speedToSlider,
  updateBadges,
  wireLearningRate,
} from "./controls.js";
import { EquationPanel } from "./equations.js";
import { exportCsv, exportJson, exportLayeredPng, exportPng } from "./export.js";
import { fanLearningRates } from "./fan.js";
import { plain } from "./format.js";
import { installShortcuts } from "./keyboard.js";
import { Replay } from "./optim.js";
import { Readout } from "./readout.js";
import { DONE, IDLE, PAUSED, PLAYING, Runner } from "./runner.js";
import {
  FAN_COLOURS,
  MAX_HIKERS,
  defaultState,
  hikerLabel,
  hyperparameters,
  isFormula,
  makeHiker,
  nextColour,
  shortLabel,
  startOf,
} from "./state.js";
import { SurfaceView } from "./surface-view.js";
import { Trail } from "./trail.js";
import { typeset } from "./typeset.js";
import { currentLink, decodeState, writeUrl } from "./url-state.js";
import { nearestMinimum, verdict } from "./verdict.js";

const MESH_RESOLUTION = 100;
const $ = (id) => document.getElementById(id);

const app = {
  catalogue: [],
  optimizers: {}, // name → info from GET /api/optimizers
  optimizerList: [],
  state: null,
  info: null, // the surface being shown: catalogue entry, or a formula with its LaTeX
  mesh: null,
  basins: null,
  trails: [],
  replays: [],
  surfaceToken: 0,
  resetToken: 0,
  basinController: null,
  lastEquation: 0,
  lastText: 0,
  lastSignature: "",
};

const runner = new Runner({
  onFrame: render,
  onState: showRunState,
  onError: (error) => showAlert(`The run could not start: ${error.message}`, error),
  onEnd: () => {
    app.view.flush3d();
    renderEquation(true);
  },
});

// ---------------------------------------------------------------- messages

function showAlert(message, error = null) {
  const box = $("alert");
  box.hidden = !message;
  box.textContent = message || "";
  if (error && error.detail) markServerErrors(error);
}

function status(text) {
  const el = $("run-status");
  if (el.textContent !== text) el.textContent = text;
}

/** Put a 422 from a run next to the field it names (the selected hiker's lr, max steps, …). */
function markServerErrors(error) {
  for (const d of error.detail) {
    const loc = d.loc || [];
    const field = loc[loc.length - 1];
    if (loc[1] === "runs" && loc[2] === app.state.selected) {
      if (field === "lr") setFieldError($("lr-input"), $("lr-error"), d.msg);
      else setFieldError(null, $("hyper-error"), d.msg);
    } else if (field === "max_steps") setFieldError($("max-steps"), $("max-steps-error"), d.msg);
    else if (field === "tolerance") setFieldError($("tolerance"), $("tolerance-error"), d.msg);
    else if (field === "gradient_noise") setFieldError($("noise"), $("noise-error"), d.msg);
  }
}

// ---------------------------------------------------------------- surface

function surfaceInfoFor(spec, formulaReply) {
  const [x0, x1] = spec.x_range;
  const [y0, y1] = spec.y_range;
  return {
    name: null,
    title: "Your formula",
    description: `f(x, y) = ${spec.formula}`,
    formula: spec.formula,
    latex: formulaReply.latex,
    gradient_latex: formulaReply.gradient_latex,
    x_range: spec.x_range,
    y_range: spec.y_range,
    minima: [],
    // a lesson start away from the centre, where simple formulas have their minimum
    start: [Number((x0 + 0.2 * (x1 - x0)).toPrecision(3)), Number((y1 - 0.25 * (y1 - y0)).toPrecision(3))],
  };
}

/** Show the formula error at its character: the formula with the culprit marked, then the message. */
function showFormulaError(error, formula) {
  const box = $("formula-error");
  const input = $("formula-input");
  const d = error.detail && error.detail.find((e) => e.type === "formula_error");
  if (!d) return false;
  const pos = d.ctx && Number.isInteger(d.ctx.position) ? d.ctx.position : null;
  box.replaceChildren();
  if (pos !== null && formula.length) {
    const line = document.createElement("pre");
    line.className = "caret-line";
    line.setAttribute("aria-hidden", "true");
    const mark = document.createElement("mark");
    mark.textContent = formula[pos] ?? " ";
    line.append(formula.slice(0, pos), mark, formula.slice(pos + 1));
    box.append(line);
  }
  const text = document.createElement("p");
  text.style.margin = "0";
  text.textContent = d.msg;
  box.append(text);
  box.hidden = false;
  box.setAttribute("role", "alert");
  input.setAttribute("aria-invalid", "true");
  if (pos !== null && document.activeElement === input)
    input.setSelectionRange(pos, Math.min(pos + 1, formula.length));
  return true;
}

function clearFormulaErrors() {
  setFieldError($("formula-input"), $("formula-error"), null);
  setFieldError([$("x-lo"), $("x-hi"), $("y-lo"), $("y-hi")], $("range-error"), null);
}

/** Load and draw the surface in `state.surface`. Returns false (with a message shown) if it is refused. */
async function loadSurface({ keepRun = false } = {}) {
  const token = ++app.surfaceToken;
  const spec = app.state.surface;
  status("Loading the surface…");
  let info;
  try {
    if (isFormula(spec)) {
      clearFormulaErrors();
      await api.checkSurface(spec);
      info = surfaceInfoFor(spec, await api.formula(spec.formula));
    } else {
      info = app.catalogue.find((s) => s.name === spec);
    }
    const mesh = await api.mesh(spec, MESH_RESOLUTION);
    if (token !== app.surfaceToken) return false;
    app.info = info;
    app.mesh = mesh;
  } catch (error) {
    if (token !== app.surfaceToken) return false;
    if (isFormula(spec)) {
      if (!showFormulaError(error, spec.formula)) {
        const rangeError = error.detail && error.detail.find((d) => String(d.loc).includes("range"));
        if (rangeError)
          setFieldError(
            [$("x-lo"), $("x-hi"), $("y-lo"), $("y-hi")],
            $("range-error"),
            `${rangeError.loc.includes("x_range") ? "x" : "y"} range: ${rangeError.msg}`,
          );
        else showAlert(`The formula could not be plotted: ${error.message}`);
      }
      status("Fix the formula to plot it.");
    } else {
      showAlert(`Could not load the surface: ${error.message}`);
    }
    return false;
  }
  showSurfaceText();
  app.basins = null;
  if (app.state.view === "basins") await updateBasins({ draw: false });
  await app.view.draw({
    surface: app.info,
    mesh: app.mesh,
    logColour: app.state.logColour,
    basins: app.state.view === "basins" ? app.basins : null,
    hikers: hikerViews(),
  });
  if (!keepRun) await resetRun();
  return true;
}

function showSurfaceText() {
  const info = app.info;
  $("surface-title").textContent = info.title;
  $("surface-description").textContent = info.description;
  typeset($("formula-f"), `f(x, y) = ${info.latex}`);
  typeset($("formula-gx"), `\\frac{\\partial f}{\\partial x} = ${info.gradient_latex.x}`);
  typeset($("formula-gy"), `\\frac{\\partial f}{\\partial y} = ${info.gradient_latex.y}`);
}

// ---------------------------------------------------------------- basins

async function updateBasins({ draw = true } = {}) {
  if (app.basinController) app.basinController.abort();
  const controller = new AbortController();
  app.basinController = controller;
  const hiker = app.state.hikers[app.state.selected];
  $("basin-info").hidden = false;
  $("basin-status").textContent = `Mapping where ${hikerLabel(hiker, app.optimizers)} ends from each start…`;
  try {
    app.basins = await computeBasins({
      surface: app.state.surface,
      info: app.info,
      optimizer: { optimizer: hiker.optimizer, ...hiker.params },
      maxSteps: app.state.maxSteps,
      tolerance: app.state.tolerance,
      signal: controller.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    $("basin-status").textContent = `The basin map could not be computed: ${error.message}`;
    app.basins = null;
    return;
  }
  if (controller !== app.basinController) return;
  renderLegend($("basin-legend"), app.basins);
  $("basin-status").textContent =
    `Colour = the minimum that ${hikerLabel(hiker, app.optimizers)} reaches from each start (${app.basins.x.length}×${app.basins.y.length} starts, up to ${app.basins.steps} steps). Click a cell to send the hiker from there.`;
  if (draw) await redrawSurface();
}

let basinTimer = null;
function scheduleBasins() {
  if (app.state.view !== "basins") return;
  clearTimeout(basinTimer);
  basinTimer = setTimeout(() => updateBasins(), 300);
}

async function redrawSurface() {
  if (!app.info) return;
  await app.view.draw({
    surface: app.info,
    mesh: app.mesh,
    logColour: app.state.logColour,
    basins: app.state.view === "basins" ? app.basins : null,
    hikers: hikerViews(),
  });
}

// ---------------------------------------------------------------- hikers and runs

function hikerViews() {
  return app.state.hikers.map((h) => ({ colour: h.colour, label: hikerLabel(h, app.optimizers) }));
}

function starts() {
  return app.state.hikers.map((_, i) => startOf(app.state, i, app.info));
}

/** Back to the start: abort any stream, put the hikers at their starts (f and ∇f from the API). */
async function resetRun() {
  const token = ++app.resetToken;
  runner.abort();
  const points = starts();
  let values = null;
  try {
    values = await api.evaluate(app.state.surface, points);
  } catch (error) {
    showAlert(`Could not evaluate the start points: ${error.message}`);
  }
  if (token !== app.resetToken) return;
  runner.setIdle(
    points.map((p, i) => ({
      x: p[0],
      y: p[1],
      z: values ? values.z[i] : null,
      grad_x: values ? (values.grad_x[i] ?? 0) : 0,
      grad_y: values ? (values.grad_y[i] ?? 0) : 0,
    })),
  );
  newTrails();
  await app.charts.reset(hikerViews(), { logLoss: app.state.logLoss, tolerance: app.state.tolerance });
  app.lastSignature = "";
  showRunState(runner.state);
  render();
  renderEquation(true);
}

function newTrails() {
  app.trails = runner.runs.map((r) => new Trail(r.path));
  app.replays = runner.runs.map((r, i) => {
    const h = app.state.hikers[i];
    return new Replay(h.optimizer, hyperparameters(h, app.optimizers), r.path);
  });
}

/** Check every input before a run; the first problem is shown next to its field. */
function settingsProblem() {
  const boxes = [
    "lr-error",
    "hyper-error",
    "max-steps-error",
    "tolerance-error",
    "noise-error",
    "seed-error",
    "start-error",
  ];
  // a shown box with role=alert is an error (the start box also carries a mere note)
  const invalid = boxes.map((id) => $(id)).find((box) => !box.hidden && box.getAttribute("role") === "alert");
  if (invalid) return invalid.textContent;
  for (const [i, hiker] of app.state.hikers.entries()) {
    const lr = hyperparameters(hiker, app.optimizers).lr;
    if (!(lr > 0)) return `Hiker ${i + 1}: the learning rate must be greater than 0.`;
  }
  return null;
}

function runBody() {
  const s = app.state;
  return {
    surface: s.surface,
    runs: s.hikers.map((h, i) => ({
      optimizer: h.optimizer,
      ...h.params,
      start: startOf(s, i, app.info),
      label: hikerLabel(h, app.optimizers),
    })),
    max_steps: s.maxSteps,
    tolerance: s.tolerance,
    gradient_noise: s.noise,
    seed: s.seed,
  };
}

/** Start a new run (a new stream). Returns false when the settings are not valid. */
function startRun({ play = true } = {}) {
  if (!app.info) return false;
  const problem = settingsProblem();
  if (problem) {
    showAlert(`Fix this before running: ${problem}`);
    return false;
  }
  showAlert(null);
  ++app.resetToken; // a pending reset must not overwrite this run
  runner.start(runBody(), { play });
  newTrails();
  app.lastSignature = "";
  app.charts.reset(hikerViews(), { logLoss: app.state.logLoss, tolerance: app.state.tolerance });
  return true;
}

function runPause() {
  if (runner.state === PLAYING) runner.pause();
  else if (runner.state === PAUSED || runner.state === DONE) runner.play();
  else startRun({ play: true });
}

function stepOnce() {
  if (runner.state === IDLE) {
    if (startRun({ play: false })) runner.stepWhenReady();
  } else runner.step();
}

/** After a setting changed: a playing run restarts with it, otherwise the hikers go back to the start. */
function restartOrReset() {
  if (runner.state === PLAYING) {
    if (!startRun({ play: true })) resetRun();
  } else resetRun();
}

// ---------------------------------------------------------------- drawing a frame

function showRunState(state) {
  const button = $("run");
  button.textContent = { [IDLE]: "▶ Run", [PLAYING]: "❚❚ Pause", [PAUSED]: "▶ Resume", [DONE]: "↻ Replay" }[
    state
  ];
  button.setAttribute(
    "aria-label",
    { [IDLE]: "Run", [PLAYING]: "Pause", [PAUSED]: "Resume", [DONE]: "Replay" }[state],
  );
  $("explorer").dataset.run = state;
  if (state === IDLE) status("Ready — press Run (Space) to send the hikers downhill.");
  if (state === PLAYING) status("Walking…");
  if (state === PAUSED) status(`Paused at step ${Math.floor(runner.cursor)} — Run resumes, → steps.`);
  if (state === DONE) status(summary());
  if (state !== PLAYING) app.view && app.view.flush3d();
}

function summary() {
  const counts = {};
  runner.runs.forEach((r) => {
    counts[r.status] = (counts[r.status] || 0) + 1;
  });
  const words = { converged: "converged", max_steps: "ran out of steps", diverged: "diverged" };
  const parts = Object.entries(counts).map(([k, n]) => `${n} ${words[k] || k}`);
  return `Done: ${parts.join(", ")}. Run replays it; r resets.`;
}

// A finished run's verdict reads its whole path: computed once per run.
const verdicts = new WeakMap();
function verdictOf(i) {
  const run = runner.runs[i];
  if (!runner.arrived(i)) return null;
  if (!verdicts.has(run)) verdicts.set(run, verdict(run));
  return verdicts.get(run);
}

/** One readout row per hiker at its shown step. */
function readoutValues(shown) {
  return runner.runs.map((run, i) => {
    const p = run.path;
    const k = shown[i];
    const has = p.x.length > 0;
    const arrived = runner.arrived(i);
    return {
      step: k,
      x: has ? p.x[k] : null,
      y: has ? p.y[k] : null,
      f: has ? p.z[k] : null,
      grad: has ? Math.hypot(p.grad_x[k], p.grad_y[k]) : null,
      status: arrived ? run.status : null,
      steps: run.steps,
      walking: runner.state !== IDLE && !arrived,
      minimum:
        arrived && run.status !== "diverged" && has
          ? nearestMinimum(app.info.minima, [app.info.x_range, app.info.y_range], p.x[k], p.y[k])
          : null,
      verdict: verdictOf(i),
      selected: i === app.state.selected,
    };
  });
}

function render() {
  if (!app.info || runner.runs.length !== app.state.hikers.length) return;
  const playing = runner.state === PLAYING;
  const shown = runner.runs.map((_, i) => runner.shown(i));
  // what is drawn depends only on the shown steps (chunks arriving beyond them change nothing)
  const signature = `${shown.map((k, i) => (runner.runs[i].path.x.length ? k : -1)).join(",")}|${runner.state}`;
  if (signature !== app.lastSignature) {
    app.lastSignature = signature;
    const frame = runner.runs.map((run, i) => {
      const p = run.path;
      const k = shown[i];
      const has = p.x.length > 0;
      return {
        trail: has && app.trails[i] ? app.trails[i].to(k) : { x: [], y: [], z: [] },
        at: has ? [p.x[k], p.y[k], p.z[k]] : null,
        grad: has ? [p.grad_x[k], p.grad_y[k]] : [0, 0],
      };
    });
    app.view.update(frame, { force3d: !playing });
    app.charts.update(() => chartSeries(shown), { force: !playing });
  }
  // text changes make the browser lay the page out again: 10 times a second is plenty
  const t = performance.now();
  if (!playing || t - app.lastText > 100) {
    app.lastText = t;
    app.readout.update(readoutValues(shown));
    updateBadges(
      $("hiker-list"),
      runner.runs.map((_, i) => verdictOf(i)),
    );
    if (runner.state === PAUSED)
      status(`Paused at step ${Math.floor(runner.cursor)} — Run resumes, → steps.`);
  }
  renderEquation(!playing);
}

/** Cost and gradient norm per step up to the shown step, thinned to ≤ 2000 points a line. */
function chartSeries(shown) {
  return runner.runs.map((run, i) => {
    const p = run.path;
    const n = p.x.length ? shown[i] + 1 : 0;
    const stride = Math.max(1, Math.ceil(n / 2000));
    const steps = [];
    const f = [];
    const g = [];
    for (let j = 0; j < n; j += stride) {
      steps.push(j);
      f.push(p.z[j]);
      g.push(Math.hypot(p.grad_x[j], p.grad_y[j]));
    }
    if (n && steps[steps.length - 1] !== n - 1) {
      steps.push(n - 1);
      f.push(p.z[n - 1]);
      g.push(Math.hypot(p.grad_x[n - 1], p.grad_y[n - 1]));
    }
    return { steps, f, g };
  });
}

/** The equation panel follows the selected hiker; while playing it refreshes 4 times a second. */
function renderEquation(now = false) {
  const t = performance.now();
  if (!now && t - app.lastEquation < 250) return;
  app.lastEquation = t;
  const i = app.state.selected;
  const hiker = app.state.hikers[i];
  if (!hiker || !runner.runs[i]) return;
  const running = runner.state !== IDLE;
  app.equations.show({
    label: `${i + 1}. ${hikerLabel(hiker, app.optimizers)}`,
    optimizer: hiker.optimizer,
    hyper: hyperparameters(hiker, app.optimizers),
    replay: running ? app.replays[i] : null,
    k: running ? runner.shown(i) : 0,
    noise: app.state.noise,
  });
}

// ---------------------------------------------------------------- the sidebar

function syncControls() {
  const s = app.state;
  $("surface-select").value = isFormula(s.surface) ? FORMULA_OPTION : s.surface;
  const form = $("formula-form");
  form.hidden = !isFormula(s.surface);
  if (isFormula(s.surface)) {
    $("formula-input").value = s.surface.formula;
    $("x-lo").value = plain(s.surface.x_range[0]);
    $("x-hi").value = plain(s.surface.x_range[1]);
    $("y-lo").value = plain(s.surface.y_range[0]);
    $("y-hi").value = plain(s.surface.y_range[1]);
  }
  $("log-colour").checked = s.logColour;
  $("log-loss").checked = s.logLoss;
  $("race").checked = s.race;
  $("max-steps").value = String(s.maxSteps);
  $("tolerance").value = plain(s.tolerance);
  $("noise").value = plain(s.noise);
  $("seed").value = String(s.seed);
  $("speed").value = String(speedToSlider(s.speed));
  $("speed-out").textContent = `${s.speed} steps/s`;
  $(s.view === "basins" ? "view-basins" : "view-contour").checked = true;
  $("basin-info").hidden = s.view !== "basins";
  $("map-caption").textContent =
    s.view === "basins" ? "Basins — click to send a hiker" : "Map — click to set the start";
  renderHikers();
}

function renderHikers() {
  const s = app.state;
  s.selected = Math.min(s.selected, s.hikers.length - 1);
  renderHikerList($("hiker-list"), s.hikers, {
    labels: s.hikers.map((h) => hikerLabel(h, app.optimizers)),
    shortLabels: s.hikers.map((h) => shortLabel(h, app.optimizers)),
    selected: s.selected,
    onSelect: (i) => {
      s.selected = i;
      renderHikers();
      render();
      renderEquation(true);
      scheduleBasins();
      saveState();
    },
    onRemove: (i) => {
      s.hikers.splice(i, 1);
      if (s.selected >= i && s.selected > 0) s.selected -= 1;
      hikersChanged();
    },
  });
  $("add-hiker").disabled = s.hikers.length >= MAX_HIKERS;
  $("add-hiker").title = s.hikers.length >= MAX_HIKERS ? `At most ${MAX_HIKERS} hikers` : "";
  renderEditor();
  renderStart();
}

function renderEditor() {
  const s = app.state;
  const hiker = s.hikers[s.selected];
  const info = app.optimizers[hiker.optimizer];
  const h = hyperparameters(hiker, app.optimizers);
  $("editor-legend").textContent = `Edit hiker ${s.selected + 1}`;
  $("optimizer-select").value = hiker.optimizer;
  $("optimizer-description").textContent = info.description;
  $("lr-input").value = plain(h.lr);
  $("lr-slider").value = String(Math.min(1, Math.max(-5, lrToSlider(h.lr))));
  $("lr-slider").setAttribute("aria-valuetext", `γ = ${plain(h.lr)}`);
  $("hiker-colour").value = hiker.colour;
  renderHyperFields($("hyper-fields"), info, hiker.params);
  setFieldError($("lr-input"), $("lr-error"), null);
  setFieldError(null, $("hyper-error"), null);
}

function renderStart() {
  const s = app.state;
  if (!app.info) return;
  const p = startOf(s, s.selected, app.info);
  $("start-title").textContent =
    s.race || s.hikers.length === 1 ? "Start point" : `Start point of hiker ${s.selected + 1}`;
  $("start-x").value = plain(p[0]);
  $("start-y").value = plain(p[1]);
  setFieldError([$("start-x"), $("start-y")], $("start-error"), null);
}

function saveState() {
  writeUrl(app.state);
}

/** The hikers changed (count, optimizer, colour…): new hiker traces, run reset or restarted. */
async function hikersChanged({ restart = true } = {}) {
  saveState();
  renderHikers();
  app.readout.setHikers(hikerViews());
  await app.view.setHikers(hikerViews());
  scheduleBasins();
  if (restart) restartOrReset();
}

function setStart(point) {
  const s = app.state;
  if (s.race || s.hikers.length === 1) s.start = point;
  else s.hikers[s.selected].start = point;
  saveState();
  renderStart();
  const [x0, x1] = app.info.x_range;
  const [y0, y1] = app.info.y_range;
  if (point[0] < x0 || point[0] > x1 || point[1] < y0 || point[1] > y1) {
    // allowed, but worth saying: the hiker will start off the map
    const note = $("start-error");
    note.hidden = false;
    note.removeAttribute("role");
    note.textContent = `Note: (${plain(point[0])}, ${plain(point[1])}) is outside the map (x ${x0}…${x1}, y ${y0}…${y1}); the hiker starts off-screen.`;
  }
}

function bindControls() {
  const s = () => app.state;

  $("surface-select").addEventListener("change", async (event) => {
    const value = event.target.value;
    if (value === FORMULA_OPTION) {
      // start from the current surface's formula so there is something to edit
      const info = app.info;
      $("formula-form").hidden = false;
      $("surface-description").textContent =
        `Type your own cost below (here: ${info.title}'s, to edit), then “Plot this formula”.`;
      $("formula-input").value = info.formula;
      $("x-lo").value = plain(info.x_range[0]);
      $("x-hi").value = plain(info.x_range[1]);
      $("y-lo").value = plain(info.y_range[0]);
      $("y-hi").value = plain(info.y_range[1]);
      $("formula-input").focus();
      return;
    }
    $("formula-form").hidden = true;
    s().surface = value;
    s().start = null;
    s().hikers.forEach((h) => (h.start = null));
    saveState();
    renderStart();
    if (await loadSurface()) renderStart();
  });

  $("formula-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormulaErrors();
    const formula = $("formula-input").value.trim();
    if (!formula) {
      setFieldError(
        $("formula-input"),
        $("formula-error"),
        "Type a formula in x and y first, for example x**2 + 3*y**2.",
      );
      return;
    }
    const ranges = [];
    for (const [axis, lo, hi] of [
      ["x", $("x-lo"), $("x-hi")],
      ["y", $("y-lo"), $("y-hi")],
    ]) {
      const a = readNumber(lo, { name: `${axis} range, low end` });
      const b = readNumber(hi, { name: `${axis} range, high end` });
      const problem =
        a.error ||
        b.error ||
        (a.value >= b.value
          ? `${axis} range: the low end (${lo.value}) must be less than the high end (${hi.value}).`
          : null);
      if (problem) {
        setFieldError([lo, hi], $("range-error"), problem);
        return;
      }
      ranges.push([a.value, b.value]);
    }
    const previous = s().surface;
    s().surface = { formula, x_range: ranges[0], y_range: ranges[1] };
    if (await loadSurface()) {
      s().start = null;
      s().hikers.forEach((h) => (h.start = null));
      saveState();
      renderStart();
      resetRun();
    } else {
      s().surface = previous; // the lesson stays on the surface still drawn
    }
  });
  $("formula-input").addEventListener("input", () => {
    if (!$("formula-error").hidden) setFieldError($("formula-input"), $("formula-error"), null);
  });

  $("log-colour").addEventListener("change", (e) => {
    s().logColour = e.target.checked;
    saveState();
    redrawSurface();
  });
  $("log-loss").addEventListener("change", async (e) => {
    s().logLoss = e.target.checked;
    saveState();
    await app.charts.reset(hikerViews(), { logLoss: s().logLoss, tolerance: s().tolerance });
    app.lastSignature = "";
    render();
  });

  for (const radio of document.querySelectorAll('input[name="map-view"]')) {
    radio.addEventListener("change", async (e) => {
      s().view = e.target.value;
      saveState();
      syncControls();
      if (s().view === "basins") await updateBasins();
      else redrawSurface();
    });
  }

  $("race").addEventListener("change", (e) => {
    const st = s();
    if (e.target.checked) {
      st.start = startOf(st, st.selected, app.info);
      st.hikers.forEach((h) => (h.start = null));
    } else {
      const shared = st.start || app.info.start;
      st.hikers.forEach((h) => (h.start = [...shared]));
    }
    st.race = e.target.checked;
    saveState();
    renderStart();
    restartOrReset();
  });

  $("add-hiker").addEventListener("click", () => {
    const st = s();
    if (st.hikers.length >= MAX_HIKERS) {
      setFieldError(null, $("hikers-error"), `At most ${MAX_HIKERS} hikers at once.`);
      return;
    }
    const base = st.hikers[st.selected];
    const hiker = makeHiker(
      base.optimizer,
      base.params,
      nextColour(st.hikers),
      base.start ? [...base.start] : null,
    );
    st.hikers.push(hiker);
    st.selected = st.hikers.length - 1;
    hikersChanged();
  });

  $("fan").addEventListener("click", learningRateFan);

  $("optimizer-select").addEventListener("change", (e) => {
    const hiker = s().hikers[s().selected];
    const lr = hyperparameters(hiker, app.optimizers).lr;
    hiker.optimizer = e.target.value;
    // keep the learning rate only if the learner set one; else the new optimizer's default
    hiker.params = "lr" in hiker.params ? { lr } : {};
    hikersChanged();
  });

  const applyLr = (value, source) => {
    const hiker = s().hikers[s().selected];
    hiker.params.lr = value;
    if (source !== "slider") $("lr-slider").value = String(Math.min(1, Math.max(-5, lrToSlider(value))));
    if (source !== "input") $("lr-input").value = plain(value);
    $("lr-slider").setAttribute("aria-valuetext", `γ = ${plain(value)}`);
    setFieldError($("lr-input"), $("lr-error"), null);
    hikersChanged();
  };
  wireLearningRate(applyLr);

  $("hyper-fields").addEventListener("change", () => {
    const hiker = s().hikers[s().selected];
    const params = readHyperFieldsChecked(app.optimizers[hiker.optimizer]);
    if (!params) return;
    const lr = hiker.params.lr;
    hiker.params = lr === undefined ? params : { lr, ...params };
    hikersChanged();
  });

  $("hiker-colour").addEventListener("change", (e) => {
    s().hikers[s().selected].colour = e.target.value;
    hikersChanged({ restart: false });
    app.charts.reset(hikerViews(), { logLoss: s().logLoss, tolerance: s().tolerance }).then(() => {
      app.lastSignature = "";
      render();
    });
  });

  const startChanged = () => {
    const x = readNumber($("start-x"), { name: "Start x" });
    const y = readNumber($("start-y"), { name: "Start y" });
    if (x.error || y.error) {
      setFieldError([$("start-x"), $("start-y")], $("start-error"), x.error || y.error);
      return;
    }
    setStart([x.value, y.value]);
    restartOrReset();
  };
  $("start-x").addEventListener("change", startChanged);
  $("start-y").addEventListener("change", startChanged);
  $("start-default").addEventListener("click", () => {
    s().start = null;
    s().hikers.forEach((h) => (h.start = null));
    saveState();
    renderStart();
    restartOrReset();
  });

  const numberSetting = (id, key, options) => {
    $(id).addEventListener("change", () => {
      const r = readNumber($(id), options);
      if (r.error) {
        setFieldError($(id), $(`${id}-error`), r.error);
        return;
      }
      setFieldError($(id), $(`${id}-error`), null);
      s()[key] = r.value;
      saveState();
      if (key === "tolerance" || key === "maxSteps") scheduleBasins();
      restartOrReset();
    });
  };
  numberSetting("max-steps", "maxSteps", { name: "Max steps", min: 1, max: 100000, integer: true });
  numberSetting("tolerance", "tolerance", { name: "The tolerance", min: 0 });
  numberSetting("noise", "noise", { name: "Gradient noise", min: 0, max: 1e6 });
  numberSetting("seed", "seed", { name: "The seed", min: 0, integer: true });

  $("speed").addEventListener("input", (e) => {
    s().speed = sliderToSpeed(Number(e.target.value));
    runner.speed = s().speed;
    $("speed-out").textContent = `${s().speed} steps/s`;
    saveState();
  });

  $("run").addEventListener("click", runPause);
  $("step").addEventListener("click", stepOnce);
  $("reset").addEventListener("click", () => resetRun());
  installShortcuts({ runPause, step: stepOnce, reset: () => resetRun() });

  $("copy-link").addEventListener("click", async () => {
    const link = currentLink(app.state);
    history.replaceState(null, "", link);
    try {
      await navigator.clipboard.writeText(link);
      $("copy-status").textContent = "Link copied: it reproduces this lesson.";
    } catch {
      $("copy-status").textContent = `Copy this link: ${link}`;
    }
  });
  $("export-csv").addEventListener("click", () => exportCsv(exportRuns()));
  $("export-json").addEventListener("click", () =>
    exportJson({
      link: currentLink(app.state),
      surface: app.state.surface,
      max_steps: app.state.maxSteps,
      tolerance: app.state.tolerance,
      gradient_noise: app.state.noise,
      seed: app.state.seed,
      runs: exportRuns(),
    }),
  );
  $("png-3d").addEventListener("click", () => {
    app.view.flush3d();
    exportPng($("plot3d"), "gradient-hiker-3d");
  });
  $("png-map").addEventListener("click", () =>
    exportLayeredPng([app.view.mapBack, app.view.mapFront], "gradient-hiker-map"),
  );
}

function exportRuns() {
  return runner.runs.map((run, i) => {
    const h = app.state.hikers[i];
    return {
      label: hikerLabel(h, app.optimizers),
      optimizer: h.optimizer,
      hyperparameters: hyperparameters(h, app.optimizers),
      start: startOf(app.state, i, app.info),
      status: run.status,
      steps: run.steps,
      path: run.path,
    };
  });
}

/** Five hikers from one start, learning rates from too small to too large; then run them. */
async function learningRateFan() {
  const st = app.state;
  const base = st.hikers[st.selected];
  const h = hyperparameters(base, app.optimizers);
  const start = startOf(st, st.selected, app.info);
  $("fan").disabled = true;
  status("Choosing five learning rates…");
  try {
    const { lrs, basis } = await fanLearningRates({
      surface: st.surface,
      info: app.info,
      start,
      optimizer: base.optimizer,
      lr: h.lr,
      momentum: h.momentum,
    });
    const params = { ...base.params };
    st.hikers = lrs.map((lr, i) => makeHiker(base.optimizer, { ...params, lr }, FAN_COLOURS[i]));
    st.race = true;
    st.start = start;
    st.selected = 2;
    $("race").checked = true;
    $("fan-help").textContent =
      `Learning rates ${lrs.join(", ")} (${basis}). Each hiker is labelled by what happened to it.`;
    await hikersChanged({ restart: false });
    startRun({ play: true });
  } finally {
    $("fan").disabled = false;
  }
}

// ---------------------------------------------------------------- start-up

async function init() {
  status("Loading…");
  app.view = new SurfaceView($("plot3d"), $("map"), { onMapClick, hoverEl: $("map-hover") });
  app.charts = new Charts($("loss-chart"), $("grad-chart"), $("loss-note"));
  app.readout = new Readout($("readout-body"));
  app.equations = new EquationPanel($("equation"));
  try {
    [app.catalogue, app.optimizerList] = await Promise.all([api.surfaces(), api.optimizers()]);
  } catch (error) {
    showAlert(`The page could not load its data from the server: ${error.message}`);
    status("Not connected.");
    return;
  }
  app.optimizers = Object.fromEntries(app.optimizerList.map((o) => [o.name, o]));
  fillSurfaceSelect($("surface-select"), app.catalogue);
  fillOptimizerSelect($("optimizer-select"), app.optimizerList);
  const { state, problems } = decodeState(location.search, defaultState(app.catalogue), {
    catalogue: app.catalogue,
    optimizers: app.optimizers,
  });
  app.state = state;
  runner.speed = state.speed;
  syncControls();
  bindControls();
  app.readout.setHikers(hikerViews());
  if (problems.length)
    showAlert(`Parts of the link were not understood and were left out: ${problems.join("; ")}.`);
  const ok = await loadSurface();
  if (!ok && isFormula(state.surface)) {
    // a link with a broken formula: its message stays in the open formula box,
    // and the default surface is drawn behind it
    state.surface = defaultState(app.catalogue).surface;
    state.start = null;
    await loadSurface();
    $("surface-select").value = FORMULA_OPTION;
    $("formula-form").hidden = false;
  }
  renderStart();
  saveState();
  $("explorer").dataset.ready = "1";
}

function onMapClick(point) {
  if (app.state.view === "basins" && app.basins) {
    // snap to the cell's start so the hiker ends in the colour that was clicked
    const b = app.basins;
    const nearest = (values, v) =>
      values.reduce((best, u) => (Math.abs(u - v) < Math.abs(best - v) ? u : best));
    setStart([nearest(b.x, point[0]), nearest(b.y, point[1])]);
    startRun({ play: true });
    return;
  }
  setStart([Number(point[0].toPrecision(4)), Number(point[1].toPrecision(4))]);
  restartOrReset();
}

// Exposed for the browser tests and the frame-rate benchmark.
window.gradientHiker = {
  get state() {
    return app.state;
  },
  runner,
  get view() {
    return app.view;
  },
  get charts() {
    return app.charts;
  },
  /** The equation panel's numbers for hiker i at step k (optim.js replaying the path). */
  equationStep: (i, k) => app.replays[i] && app.replays[i].at(k),
  shown: () =>
    runner.runs.map((r, i) => ({
      step: runner.shown(i),
      z: r.path.z[runner.shown(i)],
      status: runner.arrived(i) ? r.status : null,
      verdict: runner.arrived(i) ? verdict(r) : null,
    })),
};

init();
