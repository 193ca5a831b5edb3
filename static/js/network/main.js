// The network page: wires the state (URL), the live run (WS /ws/train) and the views.
//
// Every change goes one of two ways. Data, network, batch size or run length:
// a new run from epoch 0 (same seeds, so runs compare fairly). Learning rate,
// optimizer, its hyperparameters, L2 and speed: a `set` on the running session,
// which keeps the network and its epoch count.
//
// Drawing is paced by the screen, not by the socket: messages only store what
// arrived and mark it dirty; one animation frame draws what changed.

import { ApiError, describeLoc, getJSON, postJSON } from "../common/api.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { lrToSlider, wireLearningRate } from "../common/learning-rate.js";
import {
  fillOptimizerSelect,
  readHyperFieldsChecked,
  renderHyperFields,
} from "../common/optimizer-fields.js";
import { fmt, plain } from "../common/format.js";
import { installShortcuts } from "../common/keyboard.js";
import { typeset } from "../common/typeset.js";
import { TrainingCharts } from "./charts.js";
import {
  fillBatchSelect,
  fillDatasetSelect,
  fillLayerSelect,
  fillSpeedSelect,
  fillTestShareSelect,
  renderLayerList,
} from "./controls.js";
import { DataView } from "./data-view.js";
import { NetworkDiagram } from "./diagram.js";
import { renderCheck } from "./gradcheck.js";
import { GradientHeatmap } from "./grad-heatmap.js";
import { LandscapeView } from "./landscape.js";
import { CONNECTING, DIVERGED, DONE, LOST, LiveRun, PAUSED, PLAYING, REFUSED } from "./live-run.js";
import {
  OWN,
  currentLink,
  datasetSpec,
  decodeState,
  epochsThatFit,
  gradcheckWork,
  hyperparameters,
  landscapeResolution,
  layerSizes,
  parameterCount,
  round2,
  writeUrl,
} from "./state.js";

const $ = (id) => document.getElementById(id);
const BOUNDARY_RESOLUTION = 40;
const CHART_POINTS = 2500; // recorded epochs a run keeps at most (record_every follows)
const WEIGHTS_INTERVAL = 200; // ms between weight snapshots while training (more for big networks)
const TEXT_INTERVAL = 100; // ms between readout updates while training
const LANDSCAPE = { resolution: 31, span: 1, pathPoints: 150 };

const app = {
  limits: JSON.parse($("netpage").dataset.limits),
  datasets: [],
  optimizers: {},
  state: null,
  body: null, // the train body of the current run
  info: null, // the run's start message: task, points, grid, layer sizes
  records: [], // every recorded epoch of the run
  latest: null, // the newest epoch message
  snapshot: null, // the newest weights and gradient
  lastSet: null, // the server's answer to the last `set`
  changedMidRun: false,
  wasPlaying: false,
  boundaryDirty: false,
  textDirty: false,
  weightsWanted: false,
  lastBoundary: -Infinity,
  lastText: -Infinity,
  lastWeightsAsk: -Infinity,
  weightsCost: 0, // ms to draw one snapshot (diagram and heatmap)
  raf: null,
  landscapeToken: 0,
  checkToken: 0,
};

const run = new LiveRun({ onStart, onEpoch, onPhase, onSet, onDone, onWeights, onError });

// ---------------------------------------------------------------- messages

function showAlert(message) {
  const box = $("alert");
  box.hidden = !message;
  box.textContent = message || "";
}

function status(text) {
  const el = $("run-status");
  if (el.textContent !== text) el.textContent = text;
}

/** FastAPI's error list as one sentence: "dataset, number of points: must be ≤ 5000". */
function detailText(detail) {
  return (detail || [])
    .map((d) => {
      const where = describeLoc(d.loc || []);
      return where ? `${where}: ${d.msg}` : d.msg;
    })
    .join("; ");
}

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

function networkSpec() {
  const s = app.state;
  return { hidden: s.hidden, activation: s.activation, seed: s.weightSeed };
}

function optimizerSpec() {
  return { optimizer: app.state.optimizer, ...app.state.params };
}

/** The run's length: the state's, or less where the server's work bound says so. */
function runEpochs() {
  return Math.min(app.state.epochs, epochsThatFit(app.state, app.limits));
}

function showEpochsHelp() {
  const fit = epochsThatFit(app.state, app.limits);
  $("epochs-help").textContent =
    fit < app.state.epochs
      ? `A network this size on this many points stops at epoch ${Math.max(fit, 0)}: that is the server's bound on the work of one run.`
      : "The run ends here; a new value starts a new run.";
}

/**
 * A new run from epoch 0 (or, after a lost connection, from the last weights
 * seen). Returns false, with the reason shown, when the settings are not valid.
 */
function startRun({ play, resume = false }) {
  const problem = settingsProblem();
  if (problem) {
    showAlert(`Fix this to train: ${problem}`);
    halt();
    if (app.state.points) drawPointsWithoutRun();
    return false;
  }
  const epochs = runEpochs();
  if (epochs < 1) {
    const text = "This network is too large for this many points: use fewer units, layers or points.";
    showAlert(text);
    halt();
    return false;
  }
  showAlert(null);
  const s = app.state;
  const body = {
    dataset: datasetSpec(s),
    network: networkSpec(),
    optimizer: optimizerSpec(),
    epochs,
    batch_size: s.batchSize,
    l2: s.l2,
    record_every: recordEvery(epochs),
    boundary_resolution: BOUNDARY_RESOLUTION,
    epochs_per_second: s.speed,
  };
  let offset = 0;
  const snap = app.snapshot;
  if (resume && snap && snap.epoch > 0 && snap.epoch < epochs) {
    // the server's run is gone: carry on from the last weights seen (the optimizer starts afresh)
    offset = snap.epoch;
    body.network = { weights: snap.weights, activation: s.activation };
    body.epochs = epochs - offset;
    app.records = app.records.filter((r) => r.epoch < offset); // the new run's epoch 0 is that one
  } else {
    app.records = [];
    app.snapshot = null;
    app.changedMidRun = false;
    $("check-result").replaceChildren();
    $("check-status").textContent = "";
  }
  app.body = body;
  app.latest = null;
  app.wasPlaying = play;
  run.start(body, { play, epochOffset: offset });
  return true;
}

/** Points drawn by hand that cannot be trained on yet (too few): shown all the same. */
function drawPointsWithoutRun() {
  const { x, y, task } = app.state.points;
  const axis = Array.from(
    { length: BOUNDARY_RESOLUTION },
    (_, i) => -6 + (12 * i) / (BOUNDARY_RESOLUTION - 1),
  );
  const grid = { x: axis, y: axis };
  app.dataView.draw({
    task,
    train: { x, y },
    test: { x: [], y: [] },
    grid,
    boundary: neutralBoundary({ task, grid }),
  });
}

/** No run can start: stop the old one (the reason is on screen). */
function halt() {
  run.halt();
}

/** A setting that needs a new run changed: restart, playing if it was. */
function restartRun() {
  saveState();
  startRun({ play: run.phase === PLAYING || (run.phase === CONNECTING && app.wasPlaying) });
}

/** A hyperparameter changed: tell the running session (no reset), or keep it for the next run. */
function applyHyperparameters(changes) {
  saveState();
  if (run.set(changes)) {
    if (run.epoch > 0) app.changedMidRun = true;
  }
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

// ---------------------------------------------------------------- the socket's messages

function neutralBoundary(info) {
  const value = info.task === "classification" ? 0.5 : 0;
  return info.grid.y.map(() => info.grid.x.map(() => value));
}

function onStart(info) {
  app.info = info;
  app.latest = null;
  $("param-count").textContent = `${info.parameters}`;
  document.querySelectorAll("#readout .acc").forEach((el) => (el.hidden = info.task !== "classification"));
  $("loss-caption").textContent =
    info.task === "classification"
      ? "Loss (cross-entropy) and accuracy per epoch"
      : "Loss (mean squared error) per epoch";
  app.dataView
    .draw({
      task: info.task,
      train: info.train,
      test: info.test,
      grid: info.grid,
      boundary: neutralBoundary(info),
    })
    .then(() => {
      app.boundaryDirty = Boolean(app.latest);
      schedule();
      $("netpage").dataset.ready = "1";
    });
  app.diagram.setStructure(info.layer_sizes, info.activation, info.task);
  const layers = info.layer_sizes.length - 1;
  app.state.heatLayer = Math.min(app.state.heatLayer, layers);
  fillLayerSelect($("heat-layer"), layers, app.state.heatLayer);
  app.charts.reset({ task: info.task, layers, records: app.records });
  if (app.snapshot) {
    app.diagram.setWeights(app.snapshot.weights);
    showHeatmap();
  } else app.heatmap.clear("Waiting for the first weights…");
  app.weightsWanted = true;
  showDataText();
  schedule();
}

function onEpoch(message) {
  app.latest = message;
  for (const r of message.history) app.records.push(r);
  app.charts.push(message.history);
  app.boundaryDirty = true;
  app.textDirty = true;
  app.weightsWanted = true;
  schedule();
}

function onPhase(phase) {
  const page = $("netpage");
  page.dataset.run = phase;
  if (phase === PLAYING) app.wasPlaying = true;
  if (phase === PAUSED) app.wasPlaying = false;
  if (phase !== PLAYING) app.weightsWanted = true; // a still picture: make its weights current
  const conn = $("connection");
  conn.hidden = phase !== LOST;
  if (phase === LOST) {
    const at = app.snapshot ? app.snapshot.epoch : 0;
    $("connection-text").textContent =
      (run.closeReason
        ? `${run.closeReason} `
        : `The connection to the server was lost at epoch ${run.epoch}. `) +
      (at > 0
        ? `Reconnect to carry on from epoch ${at}, the last weights seen (the optimizer's running averages start afresh).`
        : "Reconnect to start again.");
  }
  app.charts.flush();
  showRunState();
  app.textDirty = true;
  schedule();
}

function onSet(state) {
  app.lastSet = state;
  const lr = state.hyperparameters.lr;
  $("lr-help").textContent =
    `γ = ${plain(lr)} in force since epoch ${state.epoch + run.epochOffset}, without a reset.`;
}

function onDone() {
  app.weightsWanted = true;
  app.textDirty = true;
  schedule();
}

function onWeights(snapshot) {
  const started = performance.now();
  app.snapshot = snapshot;
  app.diagram.setWeights(snapshot.weights);
  showHeatmap();
  $("check-run").disabled = false;
  app.weightsCost = 0.7 * app.weightsCost + 0.3 * (performance.now() - started);
}

function onError(detail, { refused }) {
  const text = detailText(detail);
  if (refused) {
    showAlert(`The server refused these settings: ${text}`);
    markServerErrors(detail);
  } else showAlert(`The server did not take that: ${text}`);
  showRunState();
}

/** Put a refused setting's message by its field. */
function markServerErrors(detail) {
  for (const d of detail) {
    const loc = d.loc || [];
    const field = loc[loc.length - 1];
    if (field === "lr") setFieldError($("lr-input"), $("lr-error"), d.msg);
    else if (loc[0] === "optimizer") setFieldError(null, $("hyper-error"), d.msg);
    else if (field === "n") setFieldError($("n"), $("n-error"), d.msg);
    else if (field === "l2") setFieldError($("l2"), $("l2-error"), d.msg);
    else if (field === "epochs" || field === "batch_size")
      setFieldError($("epochs"), $("epochs-error"), d.msg);
  }
}

// ---------------------------------------------------------------- drawing

function schedule() {
  if (app.raf === null) app.raf = requestAnimationFrame(frame);
}

function frame(now) {
  app.raf = null;
  let again = false;
  if (app.boundaryDirty && app.latest && app.latest.boundary) {
    // the heatmap's cost decides how often it is redrawn (software rendering is slow)
    if (now - app.lastBoundary >= Math.max(30, 3 * app.dataView.cost)) {
      app.dataView.setBoundary(app.latest.boundary);
      app.boundaryDirty = false;
      app.lastBoundary = now;
    } else again = true;
  }
  if (app.textDirty) {
    if (run.phase !== PLAYING || now - app.lastText >= TEXT_INTERVAL) {
      showReadout();
      app.textDirty = false;
      app.lastText = now;
    } else again = true;
  }
  if (app.weightsWanted) {
    // a big network's snapshot is large to send and to draw: ask less often
    const P = app.info ? app.info.parameters : 0;
    const wait = run.phase === PLAYING ? Math.max(WEIGHTS_INTERVAL, P / 40, 10 * app.weightsCost) : 0;
    if (now - app.lastWeightsAsk >= wait && run.requestWeights()) {
      app.weightsWanted = false;
      app.lastWeightsAsk = now;
    } else if (run.connected && run.hasSession) again = true;
  }
  if (again) schedule();
}

function showReadout() {
  const m = app.latest;
  $("epoch").textContent = String(run.epoch);
  $("netpage").dataset.epoch = String(run.epoch);
  if (m) {
    $("train-loss").textContent = fmt(m.train_loss, 4);
    $("test-loss").textContent = m.test_loss === null ? "no test points" : fmt(m.test_loss, 4);
    const pct = (v) => (v === null || v === undefined ? "—" : `${(100 * v).toFixed(1)}%`);
    $("train-acc").textContent = pct(m.train_accuracy);
    $("test-acc").textContent = pct(m.test_accuracy);
    app.diagram.setGradNorms(m.layers);
  }
  showRunState();
}

function showRunState() {
  const phase = run.phase;
  const epoch = run.epoch;
  const play = $("play");
  const labels = {
    [PLAYING]: ["❚❚ Pause", "Pause"],
    [PAUSED]: epoch === run.epochOffset ? ["▶ Train", "Train"] : ["▶ Resume", "Resume"],
    [DONE]: ["↻ Train again", "Train again from epoch 0"],
    [DIVERGED]: ["↻ Train again", "Train again from epoch 0"],
    [REFUSED]: ["▶ Train", "Train"],
    [CONNECTING]: ["▶ Train", "Train"],
    [LOST]: ["▶ Train", "Train"],
  }[phase];
  if (play.textContent !== labels[0]) play.textContent = labels[0];
  play.setAttribute("aria-label", labels[1]);
  play.disabled = phase === CONNECTING || phase === LOST;
  $("step").disabled = !(phase === PLAYING || phase === PAUSED);
  const speed = app.state.speed ? `${app.state.speed} epochs a second` : "as fast as it goes";
  const texts = {
    [CONNECTING]: "Starting…",
    [PLAYING]: `Training… (${speed})`,
    [PAUSED]:
      epoch === 0
        ? "Ready — press Train (Space)."
        : `Paused at epoch ${epoch} — Resume goes on, Step trains one epoch.`,
    [DONE]: `Done: ${epoch} epochs, the end of this run. Train again starts from epoch 0.`,
    [DIVERGED]: `Diverged in epoch ${epoch + 1}: the loss stopped being finite. Shown: epoch ${epoch}, the last finite network. Try a smaller learning rate.`,
    [LOST]: `${run.closeReason ? "Disconnected" : "Connection lost"} at epoch ${epoch}.`,
    [REFUSED]: "Not training: fix the settings (see the message above).",
  };
  status(texts[phase]);
  $("netpage").dataset.epoch = String(epoch);
  $("epoch").textContent = String(epoch);
}

function showHeatmap() {
  const snap = app.snapshot;
  if (!snap || !app.info || snap.gradients.length !== app.info.layer_sizes.length - 1) return;
  app.heatmap.show(app.state.heatLayer, snap.gradients, snap.epoch);
}

function showDataText() {
  const s = app.state;
  const info = app.info;
  const task = s.points ? s.points.task : info ? info.task : "classification";
  const classify = task === "classification";
  const own = Boolean(s.points);
  const datasetInfo = app.datasets.find((d) => d.name === s.dataset);
  $("dataset-description").textContent = own
    ? `${s.points.y.length} points you drew (${classify ? "two colours" : "a value each"}). Click the plot to add more.`
    : datasetInfo
      ? datasetInfo.description
      : "";
  $("data-caption").textContent = classify ? "Data and decision boundary" : "Data and the fitted surface";
  $("data-legend").innerHTML = classify
    ? '<span class="dot dot-0" aria-hidden="true"></span> class 0 · <span class="dot dot-1" aria-hidden="true"></span> class 1 · ● train · ◆ test · background: the network\'s probability of orange'
    : "● train · ◆ test · colour: the target (points) and the network's ŷ (background), blue low, orange high";
  $("draw-1-label").textContent = classify ? "+ orange" : "+ point";
  $("draw-0").hidden = !classify;
  $("draw-0-label").hidden = !classify;
  $("target-field").hidden = classify || $("draw-off").checked;
  $("undo-point").hidden = !own;
  $("clear-points").hidden = !own;
  $("regenerate").hidden = own;
  $("n-field").hidden = own;
  $("noise-field").hidden = own;
  $("seed-line").textContent = own ? "Your points are kept in the link." : `Data seed ${s.seed}.`;
  $("weight-seed-line").textContent =
    `Starting weights: seed ${s.weightSeed} (New weights draws others; Reset keeps them).`;
  $("draw-hint").hidden = $("draw-off").checked;
}

// ---------------------------------------------------------------- drawing points

function onDataClick([x, y], event) {
  const mode = document.querySelector('input[name="draw"]:checked').value;
  const s = app.state;
  const task = s.points ? s.points.task : app.info && app.info.task;
  if (mode === "off" || !task) return;
  let label;
  if (task === "classification") label = event.shiftKey ? 1 - Number(mode) : Number(mode);
  else {
    const r = readNumber($("draw-target"), { name: "The target", min: -1e6, max: 1e6 });
    if (r.error) {
      setFieldError($("draw-target"), $("target-error"), r.error);
      return;
    }
    setFieldError($("draw-target"), $("target-error"), null);
    label = round2(r.value);
  }
  if (!s.points) s.points = ownPointsFromRun();
  if (s.points.y.length >= app.limits.max_points) {
    showAlert(`At most ${app.limits.max_points} points.`);
    return;
  }
  s.points.x.push([round2(x), round2(y)]);
  s.points.y.push(label);
  $("dataset").value = OWN;
  showDataText();
  restartRun();
}

/** The run's points (train and test) as points drawn by hand, to add to or edit. */
function ownPointsFromRun() {
  const info = app.info;
  const x = [...info.train.x, ...info.test.x].map(([a, b]) => [round2(a), round2(b)]);
  const y = [...info.train.y, ...info.test.y].map((v) => (info.task === "classification" ? v : round2(v)));
  return { x, y, task: info.task };
}

// ---------------------------------------------------------------- the sidebar

function saveState() {
  writeUrl(app.state);
}

function syncControls() {
  const s = app.state;
  $("dataset").value = s.points ? OWN : s.dataset;
  $("n").value = String(s.n);
  $("noise").value = String(s.noise);
  $("noise-out").textContent = plain(s.noise);
  fillTestShareSelect($("test-share"), s.testFraction);
  $("activation").value = s.activation;
  $("speed").value = String(s.speed);
  fillBatchSelect($("batch"), s.batchSize);
  $("l2").value = plain(s.l2);
  $("epochs").value = String(s.epochs);
  $(s.directions === "random" ? "dir-random" : "dir-pca").checked = true;
  $("land-log").checked = s.logHeight;
  renderLayers();
  renderOptimizer();
  showDataText();
  showEpochsHelp();
}

function renderLayers() {
  const s = app.state;
  renderLayerList($("layers"), s.hidden, {
    maxUnits: app.limits.max_hidden_units,
    onUnits: (i, input) => {
      const r = readNumber(input, {
        name: `Hidden layer ${i + 1}`,
        min: 1,
        max: app.limits.max_hidden_units,
        integer: true,
      });
      if (r.error) {
        setFieldError(
          input,
          $("layers-error"),
          `${r.error} A layer has 1 to ${app.limits.max_hidden_units} units.`,
        );
        return;
      }
      setFieldError(input, $("layers-error"), null);
      s.hidden[i] = r.value;
      networkChanged();
    },
    onRemove: (i) => {
      s.hidden.splice(i, 1);
      setFieldError(null, $("layers-error"), null);
      renderLayers();
      networkChanged();
    },
  });
  $("add-layer").disabled = s.hidden.length >= app.limits.max_hidden_layers;
  $("add-layer").title =
    s.hidden.length >= app.limits.max_hidden_layers
      ? `At most ${app.limits.max_hidden_layers} hidden layers`
      : "";
  $("param-count").textContent = String(parameterCount(s.hidden));
}

function networkChanged() {
  $("param-count").textContent = String(parameterCount(app.state.hidden));
  showEpochsHelp();
  restartRun();
}

function renderOptimizer() {
  const s = app.state;
  const info = app.optimizers[s.optimizer];
  const h = hyperparameters(s, app.optimizers);
  $("optimizer").value = s.optimizer;
  $("optimizer-description").textContent = info.description;
  $("lr-input").value = plain(h.lr);
  $("lr-slider").value = String(Math.min(1, Math.max(-5, lrToSlider(h.lr))));
  $("lr-slider").setAttribute("aria-valuetext", `γ = ${plain(h.lr)}`);
  renderHyperFields($("hyper-fields"), info, s.params);
  setFieldError($("lr-input"), $("lr-error"), null);
  setFieldError(null, $("hyper-error"), null);
}

function bindControls() {
  const s = () => app.state;

  // data
  $("dataset").addEventListener("change", (e) => {
    const value = e.target.value;
    if (value === OWN) {
      // start from the points on screen, so there is something to edit
      if (!s().points && app.info) s().points = ownPointsFromRun();
      if (!s().points) s().points = { x: [], y: [], task: "classification" };
      if ($("draw-off").checked) $("draw-1").checked = true;
    } else {
      s().points = null;
      s().dataset = value;
    }
    setFieldError($("n"), $("n-error"), null);
    showDataText();
    restartRun();
  });
  $("n").addEventListener("change", () => {
    const r = readNumber($("n"), {
      name: "The number of points",
      min: app.limits.min_points,
      max: app.limits.max_points,
      integer: true,
    });
    if (r.error) {
      setFieldError($("n"), $("n-error"), r.error);
      return;
    }
    setFieldError($("n"), $("n-error"), null);
    s().n = r.value;
    showEpochsHelp();
    restartRun();
  });
  $("noise").addEventListener("input", (e) => ($("noise-out").textContent = plain(Number(e.target.value))));
  $("noise").addEventListener("change", (e) => {
    s().noise = Number(e.target.value);
    restartRun();
  });
  $("test-share").addEventListener("change", (e) => {
    s().testFraction = Number(e.target.value);
    showEpochsHelp();
    restartRun();
  });
  $("regenerate").addEventListener("click", () => {
    s().seed += 1;
    showDataText();
    restartRun();
  });
  $("undo-point").addEventListener("click", () => {
    if (!s().points || !s().points.y.length) return;
    s().points.x.pop();
    s().points.y.pop();
    showDataText();
    restartRun();
  });
  $("clear-points").addEventListener("click", () => {
    const task = s().points ? s().points.task : "classification";
    s().points = { x: [], y: [], task };
    if ($("draw-off").checked) $("draw-1").checked = true;
    showDataText();
    restartRun();
  });
  for (const radio of document.querySelectorAll('input[name="draw"]'))
    radio.addEventListener("change", showDataText);

  // network
  $("add-layer").addEventListener("click", () => {
    const hidden = s().hidden;
    if (hidden.length >= app.limits.max_hidden_layers) return;
    hidden.push(hidden.length ? hidden[hidden.length - 1] : 8);
    renderLayers();
    networkChanged();
  });
  $("activation").addEventListener("change", (e) => {
    s().activation = e.target.value;
    restartRun();
  });
  $("new-weights").addEventListener("click", () => {
    s().weightSeed += 1;
    showDataText();
    reset();
  });

  // training
  $("optimizer").addEventListener("change", (e) => {
    const lr = hyperparameters(s(), app.optimizers).lr;
    s().optimizer = e.target.value;
    // keep the learning rate only if the learner set one; else the new optimizer's default
    s().params = "lr" in s().params ? { lr } : {};
    renderOptimizer();
    applyHyperparameters({ optimizer: s().optimizer, ...hyperparameters(s(), app.optimizers) });
  });
  const applyLr = (value, source) => {
    s().params.lr = value;
    if (source !== "slider") $("lr-slider").value = String(Math.min(1, Math.max(-5, lrToSlider(value))));
    if (source !== "input") $("lr-input").value = plain(value);
    $("lr-slider").setAttribute("aria-valuetext", `γ = ${plain(value)}`);
    setFieldError($("lr-input"), $("lr-error"), null);
    applyHyperparameters({ lr: value });
  };
  wireLearningRate(applyLr);
  $("hyper-fields").addEventListener("change", () => {
    const params = readHyperFieldsChecked(app.optimizers[s().optimizer]);
    if (!params) return;
    const lr = s().params.lr;
    s().params = lr === undefined ? params : { lr, ...params };
    applyHyperparameters({ optimizer: s().optimizer, ...hyperparameters(s(), app.optimizers) });
  });
  $("batch").addEventListener("change", (e) => {
    s().batchSize = e.target.value === "full" ? null : Number(e.target.value);
    showEpochsHelp();
    restartRun();
  });
  $("l2").addEventListener("change", () => {
    const r = readNumber($("l2"), { name: "The L2 penalty", min: 0, max: app.limits.max_l2 });
    if (r.error) {
      setFieldError($("l2"), $("l2-error"), r.error);
      return;
    }
    setFieldError($("l2"), $("l2-error"), null);
    s().l2 = r.value;
    applyHyperparameters({ l2: r.value });
  });
  $("epochs").addEventListener("change", () => {
    const r = readNumber($("epochs"), {
      name: "Stop at epoch",
      min: 1,
      max: app.limits.max_epochs,
      integer: true,
    });
    if (r.error) {
      setFieldError($("epochs"), $("epochs-error"), r.error);
      return;
    }
    setFieldError($("epochs"), $("epochs-error"), null);
    s().epochs = r.value;
    showEpochsHelp();
    restartRun();
  });
  $("speed").addEventListener("change", (e) => {
    s().speed = Number(e.target.value);
    applyHyperparameters({ epochs_per_second: s().speed });
    showRunState();
  });

  // transport
  $("play").addEventListener("click", playPause);
  $("step").addEventListener("click", stepOnce);
  $("reset").addEventListener("click", reset);
  $("reconnect").addEventListener("click", () => {
    run.connect();
    startRun({ play: app.wasPlaying, resume: true });
  });
  installShortcuts({ runPause: playPause, step: stepOnce, reset });

  // looking closer
  $("heat-layer").addEventListener("change", (e) => {
    s().heatLayer = Number(e.target.value);
    saveState();
    showHeatmap();
  });
  $("check-run").addEventListener("click", checkGradient);
  for (const radio of document.querySelectorAll('input[name="land-dir"]'))
    radio.addEventListener("change", (e) => {
      s().directions = e.target.value;
      saveState();
    });
  $("land-log").addEventListener("change", (e) => {
    s().logHeight = e.target.checked;
    saveState();
    if (app.landscapeResult) app.landscape.draw(app.landscapeResult, { logHeight: s().logHeight });
  });
  $("land-draw").addEventListener("click", drawLandscape);

  $("copy-link").addEventListener("click", async () => {
    const link = currentLink(app.state);
    history.replaceState(null, "", link);
    try {
      await navigator.clipboard.writeText(link);
      $("copy-status").textContent = "Link copied: it reproduces the data, the network and the settings.";
    } catch {
      $("copy-status").textContent = `Copy this link: ${link}`;
    }
  });
}

// ---------------------------------------------------------------- looking closer

async function checkGradient() {
  const snap = app.snapshot;
  if (!snap || !app.body) {
    $("check-status").textContent = "Waiting for the network's weights — try again in a moment.";
    return;
  }
  const P = parameterCount(app.state.hidden);
  if (gradcheckWork(app.state) > app.limits.max_network_work) {
    // say it in advance, and say why it matters
    $("check-status").textContent =
      `Nudging all ${P} weights would take ${2 * P} forward passes over every training point: ` +
      `more work than the server takes in one request (${fmt(app.limits.max_network_work)} weight × point evaluations). ` +
      "That is the point of backpropagation: it gets the same gradient from 1 forward and 1 backward pass. " +
      "Try the check on a smaller network.";
    return;
  }
  const token = ++app.checkToken;
  $("check-run").disabled = true;
  $("check-status").textContent =
    `Nudging each of the ${P} weights and biases up and down (${2 * P} forward passes)…`;
  try {
    const result = await postJSON("/api/network/gradients", {
      network: { weights: snap.weights, activation: app.info.activation },
      dataset: app.body.dataset,
      epsilon: 1e-6,
      l2: app.state.l2,
    });
    if (token !== app.checkToken) return;
    renderCheck($("check-result"), result, { epoch: snap.epoch });
    $("check-status").textContent = "";
  } catch (error) {
    if (token !== app.checkToken) return;
    $("check-status").textContent =
      error instanceof ApiError && error.status === 422
        ? `This network is too big to nudge every weight within the server's bound: ${error.message}`
        : `The check could not run: ${error.message}`;
  } finally {
    if (token === app.checkToken) $("check-run").disabled = false;
  }
}

async function drawLandscape() {
  const epochs = run.epoch;
  if (!app.body || epochs < 1) {
    $("land-status").textContent = "Train at least one epoch first: the landscape follows a training run.";
    return;
  }
  const s = app.state;
  const P = parameterCount(s.hidden);
  // keep the recorded path within the server's bound on the trajectory it stores
  const points = Math.max(
    2,
    Math.min(LANDSCAPE.pathPoints, Math.floor(app.limits.max_trajectory_values / P) - 2),
  );
  // and the grid within what is left of the work bound after retraining
  const resolution = landscapeResolution(s, app.limits, epochs, points + 2, LANDSCAPE.resolution);
  if (resolution < 5) {
    $("land-status").textContent =
      `Retraining ${epochs} epochs of a network this size leaves no room in the server's bound on one request ` +
      "for a landscape grid: try it after fewer epochs, or with a smaller network or fewer points.";
    return;
  }
  const body = {
    dataset: app.body.dataset,
    network: networkSpec(),
    optimizer: optimizerSpec(),
    epochs,
    batch_size: s.batchSize,
    l2: s.l2,
    record_every: Math.max(1, Math.ceil(epochs / points)),
    directions: s.directions,
    resolution,
    span: LANDSCAPE.span,
  };
  const token = ++app.landscapeToken;
  $("land-draw").disabled = true;
  $("land-status").textContent =
    `Retraining ${epochs} epochs and measuring the loss at ${resolution ** 2} points of the slice…`;
  try {
    const result = await postJSON("/api/network/landscape", body);
    if (token !== app.landscapeToken) return;
    app.landscapeResult = result;
    $("land-views").hidden = false; // before drawing: the plots take their size from it
    $("land-replay").hidden = false;
    await app.landscape.draw(result, { logHeight: s.logHeight });
    $("netpage").dataset.landscape = "1";
    const ev = result.explained_variance;
    $("land-directions-note").textContent =
      s.directions === "pca" && ev
        ? `α and β are the path's two main directions of travel (PCA); they hold ${Math.round(100 * ev[0])}% and ${Math.round(100 * ev[1])}% of its spread, so this shadow is ${ev[0] + ev[1] > 0.9 ? "a faithful" : "only a partial"} picture.`
        : "α and β are random directions, scaled layer by layer to the weights (filter normalisation): the path's shadow on them is short and can look nothing like the run.";
    $("land-status").textContent =
      `The run to epoch ${epochs} (${result.path.alpha.length} recorded points) on the slice through its final weights.` +
      (app.changedMidRun
        ? " You changed settings during the live run; this retraining used the settings in force now, so its path can differ from it."
        : "");
    app.landscape.play();
  } catch (error) {
    if (token !== app.landscapeToken) return;
    $("land-status").textContent = `The landscape could not be drawn: ${error.message}`;
  } finally {
    if (token === app.landscapeToken) $("land-draw").disabled = false;
  }
}

// ---------------------------------------------------------------- start-up

async function init() {
  app.dataView = new DataView($("data-plot"), { onClick: onDataClick });
  app.diagram = new NetworkDiagram($("diagram"));
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
  $("check-run").disabled = true;

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
  bindControls();
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
  layerSizes: () => layerSizes(app.state.hidden),
};

init();
