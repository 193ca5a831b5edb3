// The network page's shared state and the small helpers every part of it uses.
// `app` is the one object the controller (main.js) and its feature modules read
// and change; views never touch it (they are handed data).

import { describeLoc } from "../common/api.js";
import { setFieldError } from "../common/fields.js";
import { datasetSpec, writeUrl } from "./state.js";
import { verdictWords } from "./verdicts.js";

export const $ = (id) => document.getElementById(id);

export const app = {
  limits: JSON.parse($("netpage").dataset.limits),
  datasets: [],
  optimizers: {},
  state: null,
  run: null, // live-run.js: the session over WS /ws/train
  body: null, // the train body of the current run
  info: null, // the run's start message: task, points, grid, layer sizes
  records: [], // every recorded epoch of the run
  latest: null, // the newest epoch message
  boundaries: 0, // decision boundaries received (bench/bench_boundary.py compares them with those drawn)
  snapshot: null, // the newest weights and gradient
  lastSet: null, // the server's answer to the last `set`
  inForce: null, // {optimizer, lr} the session trains with now
  marks: [], // learning-rate changes of the run: {epoch, text}
  units: null, // the newest maps of the hidden units (units[layer][unit] is a grid)
  changedMidRun: false,
  wasPlaying: false,
  weightsCost: 0, // ms to draw one snapshot (diagram and heatmap)
  // views (made in main.js)
  dataView: null,
  diagram: null,
  charts: null,
  heatmap: null,
  hover: null,
  landscape: null,
  landscapeResult: null,
};

/**
 * What the controller can do, filled in by main.js (start a run, restart it,
 * tell the session about a hyperparameter, redraw…): feature modules call these
 * rather than importing the controller, which imports them.
 */
export const actions = {};

// ---------------------------------------------------------------- messages

export function showAlert(message) {
  const box = $("alert");
  box.hidden = !message;
  box.textContent = message || "";
}

/** The status line: what the run is doing and, when the server has said it, its verdict. */
export function status(text, verdict = null) {
  const el = $("run-status-text");
  if (el.textContent !== text) el.textContent = text;
  const badge = $("verdict");
  badge.hidden = !verdict;
  if (verdict && badge.dataset.verdict !== verdict) {
    badge.dataset.verdict = verdict;
    badge.className = `verdict verdict-${verdict}`;
    badge.textContent = verdictWords(verdict).label;
  }
  $("netpage").dataset.verdict = verdict || "";
}

/** FastAPI's error list as one sentence: "dataset, number of points: must be ≤ 5000". */
export function detailText(detail) {
  return (detail || [])
    .map((d) => {
      const where = describeLoc(d.loc || []);
      return where ? `${where}: ${d.msg}` : d.msg;
    })
    .join("; ");
}

/** Put a refused setting's message by its field. */
export function markServerErrors(detail) {
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

/** Write the state to the URL. */
export function saveState() {
  writeUrl(app.state);
}

// ---------------------------------------------------------------- the run's specs

export function networkSpec() {
  const s = app.state;
  return { hidden: s.hidden, activation: s.activation, seed: s.weightSeed };
}

export function optimizerSpec() {
  return { optimizer: app.state.optimizer, ...app.state.params };
}

/** What a training of `epochs` epochs asks the server for, as the controls say (the live run and the fan). */
export function trainingSpec(epochs) {
  const s = app.state;
  return {
    dataset: datasetSpec(s),
    network: networkSpec(),
    optimizer: optimizerSpec(),
    epochs,
    batch_size: s.batchSize,
    l2: s.l2,
  };
}
