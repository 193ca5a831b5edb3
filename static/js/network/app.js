// The network page's shared state and the small helpers every part of it uses.
// `app` is the one object the controller (main.js) and its feature modules read
// and change; views never touch it (they are handed data).

import { describeLoc } from "../common/api.js";
import { setFieldError } from "../common/fields.js";
import { writeUrl } from "./state.js";

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
  snapshot: null, // the newest weights and gradient
  lastSet: null, // the server's answer to the last `set`
  changedMidRun: false,
  wasPlaying: false,
  weightsCost: 0, // ms to draw one snapshot (diagram and heatmap)
  // views (made in main.js)
  dataView: null,
  diagram: null,
  charts: null,
  heatmap: null,
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

export function status(text) {
  const el = $("run-status");
  if (el.textContent !== text) el.textContent = text;
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
