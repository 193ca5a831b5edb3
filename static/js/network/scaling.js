// "Why backprop: the cost as the network grows", the feature: measured by the
// server (POST /api/network/gradients/scaling) on the page's data and activation
// the first time the panel comes into view, and again when either changes.

import { $, app } from "./app.js";
import { postJSON } from "../common/api.js";
import { drawScaling } from "./scaling-view.js";
import { datasetSpec, parameterCount } from "./state.js";

let shown = null; // {key, P, reply} of what is drawn
let visible = false;
let token = 0;

function key() {
  const s = app.state;
  return JSON.stringify([datasetSpec(s), s.activation]);
}

async function draw(reply, P) {
  const { ready, words } = drawScaling($("scaling-chart"), reply, { P });
  await ready;
  $("scaling-note").textContent = words;
  $("netpage").dataset.scaling = "1";
}

/**
 * Measure, if the panel is on screen and the data or activation changed, and draw;
 * a new network size only moves its mark.
 */
export async function updateScaling() {
  if (!visible || !app.state) return;
  const s = app.state;
  const P = parameterCount(s.hidden);
  const k = key();
  if (shown && shown.key === k) {
    if (shown.P !== P && shown.reply) {
      shown.P = P;
      await draw(shown.reply, P);
    }
    return;
  }
  const mine = ++token;
  shown = { key: k, P, reply: null };
  $("scaling-note").textContent = "Timing one gradient both ways on networks of about 10 to 10,000 weights…";
  try {
    const reply = await postJSON("/api/network/gradients/scaling", {
      dataset: datasetSpec(s),
      activation: s.activation,
    });
    if (mine !== token) return;
    shown.reply = reply;
    await draw(reply, P);
  } catch (error) {
    if (mine !== token) return;
    shown = null;
    $("scaling-note").textContent = `The costs could not be measured: ${error.message}`;
  }
}

export function bindScaling() {
  new IntersectionObserver((entries) => {
    visible = entries.some((e) => e.isIntersecting);
    updateScaling();
  }).observe($("scaling"));
}
