// The surface page's shared state and the small helpers every part of it uses.
// `app` is the one object the controller (main.js) and its feature modules read
// and change; views never touch it (they are handed data).

import { hikerLabel, startOf } from "./state.js";
import { setFieldError } from "../common/fields.js";
import { writeUrl } from "./url-state.js";

export const $ = (id) => document.getElementById(id);

export const app = {
  catalogue: [],
  optimizers: {}, // name → info from GET /api/optimizers
  optimizerList: [],
  state: null,
  info: null, // the surface being shown: catalogue entry, or a formula with its LaTeX
  mesh: null,
  basins: null,
  trails: [],
  replays: [],
  runner: null, // runner.js: the stream and the animation clock
  view: null, // the 3D view and the map
  charts: null,
  readout: null,
  equations: null,
  surfaceToken: 0,
  resetToken: 0,
  basinController: null,
  lastEquation: 0,
  lastText: 0,
  lastSignature: "",
};

/**
 * What the controller can do, filled in by main.js (load the surface, reset or
 * start a run, redraw…): feature modules call these rather than importing the
 * controller, which imports them.
 */
export const actions = {};

// ---------------------------------------------------------------- messages

export function showAlert(message, error = null) {
  const box = $("alert");
  box.hidden = !message;
  box.textContent = message || "";
  if (error && error.detail) markServerErrors(error);
}

export function status(text) {
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

// ---------------------------------------------------------------- the hikers

/** What the views need of each hiker: its colour and label. */
export function hikerViews() {
  return app.state.hikers.map((h) => ({ colour: h.colour, label: hikerLabel(h, app.optimizers) }));
}

/** Each hiker's start point. */
export function starts() {
  return app.state.hikers.map((_, i) => startOf(app.state, i, app.info));
}

/** Write the state to the URL. */
export function saveState() {
  writeUrl(app.state);
}
