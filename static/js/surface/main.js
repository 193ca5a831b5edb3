// The surface explorer's controller: it owns the state (app.js), talks to the
// API and tells the views to draw. Every change goes the same way: update
// `app.state`, write the URL, then redraw what depends on it (the surface only
// when the surface or its colouring changes; otherwise just the hikers).
//
// Where things are:
//   app.js             the shared state, messages, the actions feature modules call
//   presets.js         a surface's lesson: the hikers, steps and camera it loads
//   runs.js            reset, run, pause, step
//   playback.js        drawing each frame of a run (views, charts, readout, equations)
//   verdicts.js        the server's verdicts in a learner's words
//   sidebar.js         the controls drawn from the state
//   surface-form.js    picking a surface or typing a formula
//   hiker-controls.js  hikers, optimizers, learning rates, the fan
//   settings.js        start point, when to stop, speed, run buttons, keys, the phone's sheet
//   share.js           link, CSV / JSON / PNG export
//   basins.js          the basin map
//   feedback.js        instant feedback: ghost path, scrubber, curvature, the optimizer's state, stability map
//   url-state.js       the lesson in the link

import { $, actions, app, hikerViews, saveState, showAlert, status } from "./app.js";
import { scheduleBasins, updateBasins } from "./basins.js";
import { Charts } from "./charts.js";
import { FORMULA_OPTION, fillSurfaceSelect } from "./controls.js";
import { EquationPanel } from "./equations.js";
import { installFeedback } from "./feedback.js";
import { bindHikerControls } from "./hiker-controls.js";
import { render, renderEquation, showRunState, verdictOf } from "./playback.js";
import { applyPreset, expectText } from "./presets.js";
import { Readout } from "./readout.js";
import { publishRun } from "./results.js";
import { Runner } from "./runner.js";
import { resetRun, restartOrReset, runPause, startRun, stepOnce } from "./runs.js";
import { bindSettings } from "./settings.js";
import { bindShare } from "./share.js";
import { renderHikers, renderStart, syncControls } from "./sidebar.js";
import { DEFAULTS, SPEED_MAX, defaultState, isFormula, shortLabel, startOf } from "./state.js";
import { bindSurfaceForm, clearFormulaErrors, showFormulaError, surfaceInfoFor } from "./surface-form.js";
import { decodeState } from "./url-state.js";
import { api } from "../common/api.js";
import { setFieldError } from "../common/fields.js";
import { plain, roundToSpan } from "../common/format.js";
import { fillOptimizerSelect } from "../common/optimizer-fields.js";
import { SurfaceView } from "../common/surface-view.js";
import { spansDecades } from "../common/surface-traces.js";
import { typeset } from "../common/typeset.js";

performance.mark("gh:script-start"); // bench/bench_first_hiker.py: when the page's code starts

const MESH_RESOLUTION = 100;
// Classic scripts, preloaded by index.html and run once the map's first look is painted
// (running plotly.js takes a second or more on a slow machine; nothing paints meanwhile).
const VENDOR_SCRIPTS = ["/vendor/plotly.min.js", "/static/vendor/katex/katex.min.js"];
const SPEED_BOUNDS = { min: DEFAULTS.speed, max: SPEED_MAX };

app.runner = new Runner({
  onFrame: render,
  onState: showRunState,
  onError: (error) => showAlert(`The run could not start: ${error.message}`, error),
  onEnd: () => {
    app.view.flush3d();
    renderEquation(true);
    publishRun(); // for whoever listens: the lesson panel (common/events.js)
  },
});
const runner = app.runner;

// ---------------------------------------------------------------- surface

/** Surface `spec` from the server: {info, mesh} (a formula is checked first). */
async function fetchSurface(spec) {
  let info;
  if (isFormula(spec)) {
    const { minima } = await api.checkSurface(spec);
    info = surfaceInfoFor(spec, await api.formula(spec.formula), minima);
  } else {
    info = catalogueEntry(spec);
  }
  return { info, mesh: await api.mesh(spec, MESH_RESOLUTION) };
}

/**
 * Load and draw the surface in `state.surface` (`fetched`: its fetchSurface, when
 * already asked for). Returns false (with a message shown) if it is refused.
 */
async function loadSurface({ keepRun = false, fetched = null } = {}) {
  const token = ++app.surfaceToken;
  const spec = app.state.surface;
  status("Loading the surface…");
  try {
    if (isFormula(spec)) clearFormulaErrors();
    const { info, mesh } = await (fetched || fetchSurface(spec));
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
  // the map and the hikers on it first; the 3D view (slow to draw without a GPU) follows
  await redrawSurface({ mapFirst: true });
  if (!keepRun) await resetRun();
  await app.view.draw3d();
  if (actions.renderFeedback) actions.renderFeedback(); // the ghost path into the new 3D plot
  return true;
}

/** Log colour as chosen, or (not chosen) where the surface's values span decades. */
function logColour(mesh = app.mesh) {
  const chosen = app.state.logColour;
  return chosen === null ? spansDecades(mesh.z) : chosen;
}

function showSurfaceText() {
  const info = app.info;
  $("surface-title").textContent = info.title;
  $("surface-description").textContent = info.description;
  showPresetNote();
  typeset($("formula-f"), `f(x, y) = ${info.latex}`, { fit: true });
  typeset($("formula-gx"), `\\frac{\\partial f}{\\partial x} = ${info.gradient_latex.x}`, { fit: true });
  typeset($("formula-gy"), `\\frac{\\partial f}{\\partial y} = ${info.gradient_latex.y}`, { fit: true });
}

/** Draw the surface in both views; with `mapFirst` only the map (the caller draws the 3D view later). */
async function redrawSurface({ mapFirst = false } = {}) {
  if (!app.info) return;
  const log = logColour();
  $("log-colour").checked = log;
  const minima = app.info.minima || [];
  $("legend-global").hidden = !minima.some((m) => m.global);
  $("legend-local").hidden = !minima.some((m) => !m.global);
  await app.view[mapFirst ? "drawMap" : "draw"]({
    surface: app.info,
    mesh: app.mesh,
    logColour: log,
    basins: app.state.view === "basins" ? app.basins : null,
    hikers: hikerViews(),
    camera: app.state.camera,
  });
}

/**
 * Show catalogue surface `name` with its preset: the hikers, steps and camera
 * whose run makes its description come true ("Keep my hikers" keeps the
 * learner's own hikers and settings; the camera is always the surface's).
 */
async function switchSurface(name) {
  const s = app.state;
  s.surface = name;
  s.logColour = null;
  s.start = null;
  s.hikers.forEach((h) => (h.start = null));
  const keep = s.keepHikers ? new Set(["h", "start", "steps", "tol", "speed"]) : new Set();
  s.camera = null;
  const loaded = applyPreset(s, catalogueEntry(name), {
    keep,
    speedBounds: SPEED_BOUNDS,
    optimizers: app.optimizers,
  });
  app.presetShown = loaded && !s.keepHikers;
  runner.speed = s.speed;
  syncControls();
  app.readout.setHikers(hikerViews());
  saveState();
  return loadSurface();
}

function catalogueEntry(name) {
  return app.catalogue.find((entry) => entry.name === name) || null;
}

/** While the preset's hikers are on, say what each is expected to show. */
function showPresetNote() {
  const note = $("preset-note");
  const preset = app.presetShown && app.info && app.info.preset;
  note.hidden = !preset;
  if (!preset) return;
  const labels = app.state.hikers.map((h, i) => `${i + 1}. ${shortLabel(h, app.optimizers)}`);
  note.textContent = `Press Run — this lesson's hikers: ${expectText(preset, labels)}.`;
}

// ---------------------------------------------------------------- hikers

async function hikersChanged({ restart = true } = {}) {
  app.presetShown = false; // the learner's own hikers now
  showPresetNote();
  saveState();
  renderHikers();
  app.readout.setHikers(hikerViews());
  await app.view.setHikers(hikerViews());
  scheduleBasins();
  if (restart) restartOrReset();
}

function setStart(point) {
  const s = app.state;
  const moved = s.race || s.hikers.length === 1 ? s.hikers : [s.hikers[s.selected]];
  if (s.race || s.hikers.length === 1) s.start = point;
  else s.hikers[s.selected].start = point;
  if (s.hikers.length === 1) s.hikers[0].start = null;
  // a note such as "from the left" no longer holds for a hiker sent from elsewhere
  if (moved.some((h) => h.note)) {
    moved.forEach((h) => (h.note = null));
    hikersChanged({ restart: false });
  }
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
  switchSurface,
  showPresetNote,
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
  app.view = new SurfaceView($("plot3d"), $("map"), { onMapClick, onCamera, hoverEl: $("map-hover") });
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
  const { state, problems, given } = decodeState(location.search, defaultState(app.catalogue), {
    catalogue: app.catalogue,
    optimizers: app.optimizers,
  });
  if (!isFormula(state.surface)) {
    // what the link leaves out comes from the surface's preset
    const fromPreset = applyPreset(state, catalogueEntry(state.surface), {
      keep: given,
      speedBounds: SPEED_BOUNDS,
      optimizers: app.optimizers,
    });
    app.presetShown = fromPreset && !given.has("h");
  }
  app.state = state;
  runner.speed = state.speed;
  // the map's first look with the hikers, before plotly.js and KaTeX run; then the
  // controls, and loadSurface draws Plotly's map, the hikers on it, and the 3D view
  const surface = fetchSurface(state.surface);
  await firstLook(surface);
  try {
    await Promise.all(VENDOR_SCRIPTS.map(runScript));
  } catch (error) {
    showAlert(`The page could not load its drawing scripts: ${error.message}`);
    status("Not connected.");
    return;
  }
  performance.mark("gh:scripts"); // bench/bench_first_hiker.py
  syncControls();
  bindSurfaceForm();
  bindHikerControls();
  bindSettings();
  bindShare();
  // the run buttons come alive with their handlers (the first look shows them greyed)
  for (const id of ["run", "step", "reset"]) $(id).disabled = false;
  app.readout.setHikers(hikerViews());
  if (problems.length)
    showAlert(`Parts of the link were not understood and were left out: ${problems.join("; ")}.`);
  const ok = await loadSurface({ fetched: surface });
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
  installFeedback();
  $("explorer").dataset.ready = "1";
  performance.mark("gh:ready");
}

/**
 * The map with the hikers at their starts, painted while plotly.js is not running
 * yet (nothing when the surface is refused: loadSurface says why).
 */
async function firstLook(fetched) {
  let surface;
  try {
    surface = await fetched;
  } catch {
    return;
  }
  const { info, mesh } = surface;
  await app.view.preview({
    surface: info,
    mesh,
    logColour: logColour(mesh),
    hikers: hikerViews(),
    starts: app.state.hikers.map((_, i) => startOf(app.state, i, info)),
  });
}

/** Run the classic script at `src`: resolves once it has run. */
function runScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", resolve);
    script.addEventListener("error", () => reject(new Error(`${src} did not load`)));
    document.head.append(script);
  });
}

function onMapClick(point) {
  const round = (v, [lo, hi]) => roundToSpan(v, hi - lo);
  if (app.state.view === "basins" && app.basins) {
    // the cell's start (rounded within the cell), so the hiker ends in the colour that was clicked
    const b = app.basins;
    const nearest = (values, v) =>
      values.reduce((best, u) => (Math.abs(u - v) < Math.abs(best - v) ? u : best));
    setStart([
      round(nearest(b.x, point[0]), app.info.x_range),
      round(nearest(b.y, point[1]), app.info.y_range),
    ]);
    startRun({ play: true });
    return;
  }
  setStart([round(point[0], app.info.x_range), round(point[1], app.info.y_range)]);
  restartOrReset();
}

/** The learner turned the 3D view: the camera goes in the link. */
function onCamera(camera) {
  app.state.camera = camera;
  saveState();
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
