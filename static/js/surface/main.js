// The surface explorer's controller: it owns the state (app.js), talks to the
// API and tells the views to draw. Every change goes the same way: update
// `app.state`, write the URL, then redraw what depends on it (the surface only
// when the surface or its colouring changes; otherwise just the hikers).
//
// Where things are:
//   sidebar.js         the controls drawn from the state
//   surface-form.js    picking a surface or typing a formula
//   hiker-controls.js  hikers, optimizers, learning rates, the fan
//   settings.js        start point, when to stop, speed, run buttons and keys
//   share.js           link, CSV / JSON / PNG export
//   playback.js        drawing each frame of a run (views, charts, readout, equations)
//   basins.js          the basin map

import { $, actions, app, hikerViews, saveState, showAlert, starts, status } from "./app.js";
import { scheduleBasins, updateBasins } from "./basins.js";
import { Charts } from "./charts.js";
import { FORMULA_OPTION, fillSurfaceSelect } from "./controls.js";
import { EquationPanel } from "./equations.js";
import { bindHikerControls } from "./hiker-controls.js";
import { Replay } from "./optim.js";
import { render, renderEquation, showRunState, verdictOf } from "./playback.js";
import { Readout } from "./readout.js";
import { DONE, IDLE, PAUSED, PLAYING, Runner } from "./runner.js";
import { bindSettings } from "./settings.js";
import { bindShare } from "./share.js";
import { renderHikers, renderStart, syncControls } from "./sidebar.js";
import { defaultState, hikerLabel, hyperparameters, isFormula, startOf } from "./state.js";
import { bindSurfaceForm, clearFormulaErrors, showFormulaError, surfaceInfoFor } from "./surface-form.js";
import { decodeState } from "./url-state.js";
import { api } from "../common/api.js";
import { setFieldError } from "../common/fields.js";
import { plain } from "../common/format.js";
import { fillOptimizerSelect } from "../common/optimizer-fields.js";
import { SurfaceView } from "../common/surface-view.js";
import { Trail } from "../common/trail.js";
import { typeset } from "../common/typeset.js";

const MESH_RESOLUTION = 100;

app.runner = new Runner({
  onFrame: render,
  onState: showRunState,
  onError: (error) => showAlert(`The run could not start: ${error.message}`, error),
  onEnd: () => {
    app.view.flush3d();
    renderEquation(true);
  },
});
const runner = app.runner;

// ---------------------------------------------------------------- surface

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

Object.assign(actions, {
  loadSurface,
  redrawSurface,
  resetRun,
  startRun,
  runPause,
  stepOnce,
  restartOrReset,
  hikersChanged,
  setStart,
  updateBasins,
  scheduleBasins,
  render,
  renderEquation,
});

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
  bindSurfaceForm();
  bindHikerControls();
  bindSettings();
  bindShare();
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
      verdict: verdictOf(i),
    })),
};

init();
