// The network page's controller: it owns the run (WS /ws/train, live-run.js),
// hands what the socket says to the views, and wires the feature modules.
//
// Every change goes one of two ways. Data, network, batch size or run length:
// a new run from epoch 0 (same seeds, so runs compare fairly). Learning rate,
// optimizer, its hyperparameters, L2 and speed: a `set` on the running session,
// which keeps the network and its epoch count.
//
// Where things are:
//   app.js              the shared state and messages
//   sidebar.js          the controls drawn from the state, and what a change does
//   messages.js         what the live session says, handed to the views
//   frames.js           drawing what changed, once per animation frame
//   own-points.js       points drawn by clicking the plot
//   experiment.js       the vanishing-gradient experiment, one click each
//   backprop.js         one example's backprop, step by step (POST /api/network/backprop)
//   fan.js              the learning-rate fan (POST /api/train/fan)
//   check.js            backprop vs nudging (POST /page/network/gradients)
//   scaling.js          why backprop: its cost against nudging's as networks grow
//   landscape-panel.js  the hiker on the network's landscape
//   views: data-view.js, diagram.js (+ unit-maps.js, diagram-hover.js), charts.js,
//          walk-view.js, fan-view.js, scaling-view.js, grad-heatmap.js, gradcheck.js,
//          landscape.js

import { $, actions, app, saveState, showAlert, status, trainingSpec } from "./app.js";
import { getJSON } from "../common/api.js";
import { wireSheet } from "../common/sheet.js";
import { setFieldError } from "../common/fields.js";
import { installShortcuts } from "../common/keyboard.js";
import { fillOptimizerSelect } from "../common/optimizer-fields.js";
import { typeset } from "../common/typeset.js";
import { bindBackprop, closeWalk, currentWalk, walkExample, walkNear } from "./backprop.js";
import { TrainingCharts } from "./charts.js";
import { bindCheck, clearCheck } from "./check.js";
import { fillDatasetSelect, fillSpeedSelect } from "./controls.js";
import { DataView } from "./data-view.js";
import { NetworkDiagram } from "./diagram.js";
import { DiagramHover } from "./diagram-hover.js";
import { bindExperiment } from "./experiment.js";
import { bindFan } from "./fan.js";
import { bindScaling } from "./scaling.js";
import { showHeatmap, showReadout, showRunState } from "./frames.js";
import { GradientHeatmap } from "./grad-heatmap.js";
import { LandscapeView } from "./landscape.js";
import { bindLandscape } from "./landscape-panel.js";
import { CONNECTING, DIVERGED, DONE, LiveRun, PAUSED, PLAYING, REFUSED } from "./live-run.js";
import { onDone, onEpoch, onError, onPhase, onSet, onStart, onWeights } from "./messages.js";
import { drawPointsWithoutRun, onDataClick } from "./own-points.js";
import { bindSidebar, syncControls } from "./sidebar.js";
import { decodeState, epochsThatFit, hyperparameters, layerSizes, unitResolution } from "./state.js";

const BOUNDARY_RESOLUTION = 40;
const CHART_POINTS = 2500; // recorded epochs a run keeps at most (record_every follows)

const run = new LiveRun({ onStart, onEpoch, onPhase, onSet, onDone, onWeights, onError });
app.run = run;

// ---------------------------------------------------------------- runs

/** Check the settings the server would refuse; the first problem is shown by its field. */
function settingsProblem() {
  const s = app.state;
  const open = ["n-error", "lr-error", "hyper-error", "l2-error", "epochs-error", "layers-error"]
    .map((id) => $(id))
    .find((box) => !box.hidden);
  if (open) return open.textContent;
  if (s.points && s.points.y.length < app.limits.min_points)
    return `Draw at least ${app.limits.min_points} points to train on (click the plot).`;
  if (!(hyperparameters(s, app.optimizers).lr > 0)) {
    const text = "The learning rate must be greater than 0: it is the size of each step.";
    setFieldError($("lr-input"), $("lr-error"), text);
    return text;
  }
  return null;
}

function recordEvery(epochs) {
  return Math.max(1, Math.ceil(epochs / CHART_POINTS));
}

/**
 * A new run from epoch 0 (or, after a lost connection, from the last weights
 * seen). Returns false, with the reason shown, when the settings are not valid.
 */
function startRun({ play, resume = false }) {
  const problem = settingsProblem();
  if (problem) {
    showAlert(`Fix this to train: ${problem}`);
    run.halt();
    forgetRun();
    if (app.state.points) drawPointsWithoutRun(BOUNDARY_RESOLUTION);
    return false;
  }
  const epochs = Math.min(app.state.epochs, epochsThatFit(app.state, app.limits));
  if (epochs < 1) {
    showAlert("This network is too large for this many points: use fewer units, layers or points.");
    run.halt();
    return false;
  }
  showAlert(null);
  const s = app.state;
  const body = {
    ...trainingSpec(epochs),
    record_every: recordEvery(epochs),
    boundary_resolution: BOUNDARY_RESOLUTION,
    epochs_per_second: s.speed,
  };
  // each hidden unit's map over the input plane, as fine as the page can take
  const units = unitResolution(s.hidden, app.limits.max_unit_resolution);
  if (units > 0) body.unit_resolution = units;
  let offset = 0;
  const snap = app.snapshot;
  if (resume && snap && snap.epoch > 0 && snap.epoch < epochs) {
    // the server's run is gone: carry on from the last weights seen (the optimizer starts afresh)
    offset = snap.epoch;
    body.network = { weights: snap.weights, activation: s.activation };
    body.epochs = epochs - offset;
    app.records = app.records.filter((r) => r.epoch < offset); // the new run's epoch 0 is that one
  } else {
    forgetRun();
  }
  app.body = body;
  app.latest = null;
  app.wasPlaying = play;
  run.start(body, { play, epochOffset: offset });
  return true;
}

/** A new run, or none: nothing of the old one stays on screen (readout, marks, walk, check). */
function forgetRun() {
  app.records = [];
  app.marks = [];
  app.snapshot = null;
  app.latest = null;
  app.units = null;
  app.changedMidRun = false;
  clearCheck();
  closeWalk();
  showReadout();
  if (app.info) app.charts.reset({ task: app.info.task, layers: app.info.layer_sizes.length - 1 });
}

/** A setting that needs a new run changed: restart, playing if it was. */
function restartRun() {
  saveState();
  startRun({ play: run.phase === PLAYING || (run.phase === CONNECTING && app.wasPlaying) });
}

/** A hyperparameter changed: tell the running session (no reset), or keep it for the next run. */
function applyHyperparameters(changes) {
  saveState();
  if (run.set(changes) && run.epoch > 0) app.changedMidRun = true;
}

function playPause() {
  const phase = run.phase;
  if (phase === PLAYING) {
    run.pause();
    return;
  }
  // a field still showing a mistake: say so rather than train on what was there before
  const problem = settingsProblem();
  if (problem && phase === PAUSED) {
    showAlert(`Fix this to train: ${problem}`);
    return;
  }
  if (phase === PAUSED) run.resume();
  else if (phase === DONE || phase === DIVERGED || phase === REFUSED) startRun({ play: true });
}

function stepOnce() {
  if (run.phase === PLAYING || run.phase === PAUSED) run.step(1);
}

function reset() {
  saveState();
  startRun({ play: false });
}

/** A new run from epoch 0 of the settings as they are now (a preset), playing or not. */
function startFresh({ play }) {
  saveState();
  startRun({ play });
}

Object.assign(actions, { restartRun, applyHyperparameters, reset, startFresh, showRunState });

// ---------------------------------------------------------------- start-up

function bindTransport() {
  $("play").addEventListener("click", playPause);
  $("step").addEventListener("click", stepOnce);
  $("reset").addEventListener("click", reset);
  $("reconnect").addEventListener("click", () => {
    run.connect();
    startRun({ play: app.wasPlaying, resume: true });
  });
  installShortcuts({ runPause: playPause, step: stepOnce, reset });
  wireSheet({ toggle: $("settings-toggle"), close: $("settings-close"), sheet: $("settings") });
  for (const radio of document.querySelectorAll('input[name="loss-scale"]'))
    radio.addEventListener("change", (e) => {
      app.state.lossScale = e.target.value;
      app.charts.setLossScale(e.target.value);
      saveState();
    });
  $("heat-layer").addEventListener("change", (e) => {
    app.state.heatLayer = Number(e.target.value);
    saveState();
    showHeatmap();
  });
}

async function init() {
  // a click adds a point when drawing; in Look mode it walks the training point under it
  app.dataView = new DataView($("data-plot"), { onClick: (p, e) => onDataClick(p, e) || walkNear(p) });
  app.diagram = new NetworkDiagram($("diagram"));
  app.hover = new DiagramHover(app.diagram, $("diagram-tip"));
  app.charts = new TrainingCharts($("loss-chart"), $("grad-chart"));
  app.heatmap = new GradientHeatmap($("grad-heatmap"), $("heat-caption"));
  app.landscape = new LandscapeView({
    el3d: $("land-3d"),
    elMap: $("land-map"),
    hoverEl: $("land-hover"),
    slider: $("land-slider"),
    playButton: $("land-play"),
    readout: $("land-readout"),
    onState: ({ k, last }) => ($("netpage").dataset.replay = k >= last ? "end" : String(k)),
  });
  for (const box of document.querySelectorAll("[data-tex]")) typeset(box, box.dataset.tex);

  let optimizerList;
  try {
    [app.datasets, optimizerList] = await Promise.all([getJSON("/api/datasets"), getJSON("/api/optimizers")]);
  } catch (error) {
    showAlert(`The page could not load its data from the server: ${error.message}`);
    status("Not connected.");
    return;
  }
  app.optimizers = Object.fromEntries(optimizerList.map((o) => [o.name, o]));
  fillDatasetSelect($("dataset"), app.datasets);
  fillOptimizerSelect($("optimizer"), optimizerList);
  fillSpeedSelect($("speed"));
  const { state, problems } = decodeState(location.search, {
    datasets: app.datasets,
    optimizers: app.optimizers,
    limits: app.limits,
  });
  app.state = state;
  syncControls();
  bindSidebar();
  bindTransport();
  bindCheck();
  bindLandscape();
  bindBackprop();
  bindFan();
  bindExperiment();
  bindScaling();
  app.charts.lossScale = app.state.lossScale;
  run.connect();
  if (!startRun({ play: false })) $("netpage").dataset.ready = "1";
  if (problems.length)
    showAlert(`Parts of the link were not understood and were left out: ${problems.join("; ")}.`);
  saveState();
}

// Exposed for the browser tests.
window.networkPage = {
  get state() {
    return app.state;
  },
  get records() {
    return app.records;
  },
  get latest() {
    return app.latest;
  },
  get snapshot() {
    return app.snapshot;
  },
  get lastSet() {
    return app.lastSet;
  },
  get info() {
    return app.info;
  },
  run,
  get landscape() {
    return app.landscape;
  },
  get marks() {
    return app.marks;
  },
  get units() {
    return app.units;
  },
  // boundaries received and drawn, the one shown (a grid) and what the latest drawings cost (ms)
  get boundary() {
    const view = app.dataView;
    return { received: app.boundaries, drawn: view.redraws, shown: view.boundary, costs: view.costs };
  },
  get walk() {
    return currentWalk();
  },
  walkExample, // walk training point i (the lesson panel's "Show me")
  layerSizes: () => layerSizes(app.state.hidden),
};

init();
