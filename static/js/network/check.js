// "Backprop vs nudging", the feature: ask for the network's gradient both ways, as
// it is now, and hand the reply to the view (gradcheck.js). The page asks through
// POST /page/network/gradients, the same check answered 200 either way, so a
// check the server refuses (a diverged network, too much work) is said in its own
// words without a failed request in the console. Too much work is said before asking.

import { $, app, detailText } from "./app.js";
import { postJSON } from "../common/api.js";
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
    const reply = await postJSON("/page/network/gradients", {
      network: { weights: snap.weights, activation: app.info.activation },
      dataset: app.body.dataset,
      epsilon: 1e-6,
      l2: app.state.l2,
    });
    if (mine !== token) return;
    if (reply.ok) {
      renderCheck($("check-result"), reply.report, { epoch: snap.epoch });
      publishGradientCheck(reply.report);
      $("check-status").textContent = "";
    } else {
      $("check-result").replaceChildren();
      $("check-status").textContent = refusal(reply.detail);
    }
  } catch (error) {
    if (mine !== token) return;
    $("check-status").textContent = `The check could not run: ${error.message}`;
  } finally {
    if (mine === token) $("check-run").disabled = false;
  }
}

/** The server's reason for refusing a check, and what to do about it. */
function refusal(detail) {
  const diverged = detail.some((d) => d.type === "diverged_weights" || d.type === "diverged_network");
  return diverged
    ? `No gradient to check: training blew up. The server says: ${detailText(detail)}. The learning rate was too large: lower it, then Reset.`
    : `The server refused the check: ${detailText(detail)}`;
}

export function bindCheck() {
  $("check-run").disabled = true;
  $("check-run").addEventListener("click", checkGradient);
}
