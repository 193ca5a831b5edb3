// "Backprop vs nudging", the feature: ask POST /api/network/gradients for the
// network as it is now and hand the reply to the view (gradcheck.js). A check
// the server would refuse is explained before it is sent.

import { $, app } from "./app.js";
import { ApiError, postJSON } from "../common/api.js";
import { fmt } from "../common/format.js";
import { renderCheck } from "./gradcheck.js";
import { publishGradientCheck } from "./results.js";
import { gradcheckWork, parameterCount } from "./state.js";

let token = 0;

/** Forget the last check (a new run). */
export function clearCheck() {
  token += 1;
  $("check-result").replaceChildren();
  $("check-status").textContent = "";
}

async function checkGradient() {
  const snap = app.snapshot;
  if (!snap || !app.body) {
    $("check-status").textContent = "Waiting for the network's weights — try again in a moment.";
    return;
  }
  const largest = largestWeight(snap.weights);
  if (!(largest <= app.limits.max_weight)) {
    // a diverged run: its weights are past what any request may carry, and the reason is the rate
    $("check-status").textContent =
      `The weights have grown to ${Number.isFinite(largest) ? `|w| = ${fmt(largest, 2)}` : "infinity"}, beyond the ±${fmt(app.limits.max_weight)} a network sent to the server may hold: ` +
      "training blew up, so there is no sensible gradient to check. The learning rate was too large: lower it, then Reset.";
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
  const mine = ++token;
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
    if (mine !== token) return;
    renderCheck($("check-result"), result, { epoch: snap.epoch });
    publishGradientCheck(result);
    $("check-status").textContent = "";
  } catch (error) {
    if (mine !== token) return;
    $("check-status").textContent =
      error instanceof ApiError && error.status === 422
        ? `The server refused the check: ${error.message}`
        : `The check could not run: ${error.message}`;
  } finally {
    if (mine === token) $("check-run").disabled = false;
  }
}

/** The largest |weight or bias| of a network, Infinity if one is not finite (sent as null). */
export function largestWeight(weights) {
  let m = 0;
  for (const { W, b } of weights) {
    for (const row of W) for (const w of row) m = w === null ? Infinity : Math.max(m, Math.abs(w));
    for (const v of b) m = v === null ? Infinity : Math.max(m, Math.abs(v));
  }
  return m;
}

export function bindCheck() {
  $("check-run").disabled = true;
  $("check-run").addEventListener("click", checkGradient);
}
