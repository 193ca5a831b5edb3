// The network's learning-rate fan, the feature: the network as set (same data,
// same starting weights) trained at five learning rates around the learner's, each
// about 30× the one before (10^1.5: a span of a million, wide enough that the
// smallest barely moves and the largest thrashes, for Adam as for SGD), by
// POST /api/train/fan, then drawn side by side.

import { $, app, trainingSpec } from "./app.js";
import { postJSON } from "../common/api.js";
import { plain } from "../common/format.js";
import { drawFan } from "./fan-view.js";
import { epochsThatFit, hyperparameters } from "./state.js";

const FACTORS = [-3, -1.5, 0, 1.5, 3].map((e) => 10 ** e);
const MOST_EPOCHS = 1000; // the fan compares shapes; a long run adds little but waiting
const POINTS = 200; // recorded epochs per run
const MAX_LR = 1e6; // limits.MAX_LEARNING_RATE

let token = 0;

/** Five rates around `lr`, each about 30× the one before (two significant digits). */
export function fanRates(lr) {
  return FACTORS.map((f) => Math.min(MAX_LR, Number((f * lr).toPrecision(2))));
}

async function runFan() {
  const s = app.state;
  const lr = hyperparameters(s, app.optimizers).lr;
  const lrs = fanRates(lr);
  const epochs = Math.min(s.epochs, MOST_EPOCHS, Math.floor(epochsThatFit(s, app.limits) / lrs.length));
  if (epochs < 1) {
    $("fan-status").textContent =
      "Five runs of a network this size on this many points are more work than the server takes at once: try a smaller network or fewer points.";
    return;
  }
  const body = {
    ...trainingSpec(epochs),
    record_every: Math.max(1, Math.ceil(epochs / POINTS)),
    lrs,
  };
  const mine = ++token;
  $("fan-run").disabled = true;
  $("fan-status").textContent = `Training ${lrs.length} copies for ${epochs} epochs, at γ = ${lrs.map(plain).join(", ")}…`;
  try {
    const reply = await postJSON("/api/train/fan", body);
    if (mine !== token) return;
    const task = s.points ? s.points.task : app.info ? app.info.task : "classification";
    await drawFan($("fan-runs"), reply.runs, { task });
    const name = app.optimizers[s.optimizer].title || s.optimizer;
    $("fan-status").textContent = `${name}, ${epochs} epochs each, from the same starting weights. Yours is γ = ${plain(lr)}, in the middle.`;
    $("netpage").dataset.fan = "1";
  } catch (error) {
    if (mine !== token) return;
    $("fan-status").textContent = `The fan could not be trained: ${error.message}`;
  } finally {
    if (mine === token) $("fan-run").disabled = false;
  }
}

export function bindFan() {
  $("fan-run").addEventListener("click", runFan);
}
