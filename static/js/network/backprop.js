// "Backprop, one example at a time", the feature: a click on a training point
// (in Look mode) pauses the run, asks POST /api/network/backprop for that
// example through the network as it is now, and walks it step by step with
// the walk view (walk-view.js) on the diagram. While the run stands still, the
// walk follows the weights the diagram shows (a Step re-walks the same example),
// also weights that arrive while the walk is still on its way.

import { $, app } from "./app.js";
import { postJSON } from "../common/api.js";
import { fmt } from "../common/format.js";
import { PLAYING } from "./live-run.js";
import { publishWalk } from "./results.js";
import { WalkView, walkSteps } from "./walk-view.js";

let view = null;
let walk = null;
let asked = null; // the walk asked for last, {index, epoch}: the one shown or one on its way
let token = 0;

function show(k) {
  if (!walk) return;
  const last = walk.steps.length - 1;
  const step = Math.max(0, Math.min(last, k));
  walk.k = step;
  view.show(walk, step);
  $("walk-slider").value = String(step);
  $("walk-slider").setAttribute("aria-valuetext", `step ${step + 1} of ${last + 1}`);
  $("walk-back").disabled = step === 0;
  $("walk-next").disabled = step === last;
  $("netpage").dataset.walk = String(step);
  publishWalk(walk, step);
}

/** The largest |weight or bias| of a network, Infinity if one is not finite (sent as null). */
function largestWeight(weights) {
  let m = 0;
  for (const { W, b } of weights) {
    for (const row of W) for (const w of row) m = w === null ? Infinity : Math.max(m, Math.abs(w));
    for (const v of b) m = v === null ? Infinity : Math.max(m, Math.abs(v));
  }
  return m;
}

/** Close the walk (a new run, new data, or the learner's ✕). */
export function closeWalk() {
  token += 1;
  walk = null;
  asked = null;
  if (view) view.show(null, 0);
  $("walk").hidden = true;
  delete $("netpage").dataset.walk;
  if (app.dataView) app.dataView.select(null);
}

/**
 * Walk training point `i` of the current run through the current weights, from step `k`
 * (null: from the step shown now, when the walk lands, for the same example walked again).
 */
export async function walkExample(i, k = 0) {
  const snap = app.snapshot;
  if (!app.info || !snap) return;
  if (!(largestWeight(snap.weights) <= app.limits.max_weight)) {
    $("walk").hidden = false;
    $("walk-step").textContent =
      "Training blew up: the weights are too large to pass an example through. Lower the learning rate, then Reset.";
    return;
  }
  const x = app.info.train.x[i];
  const y = app.info.train.y[i];
  const mine = ++token;
  asked = { index: i, epoch: snap.epoch };
  app.dataView.select(i);
  $("walk").hidden = false;
  $("walk-example").textContent = `training point ${i}: x = (${fmt(x[0], 3)}, ${fmt(x[1], 3)}), y = ${fmt(y, 3)}; the weights of epoch ${snap.epoch}`;
  $("walk-step").textContent = "Passing the example forward and back…";
  try {
    const reply = await postJSON("/api/network/backprop", {
      network: { weights: snap.weights, activation: app.info.activation },
      dataset: app.body.dataset,
      x,
      y,
    });
    if (mine !== token) return;
    const shownStep = walk && walk.index === i ? walk.k : 0;
    walk = {
      reply,
      weights: snap.weights,
      activation: app.info.activation,
      task: app.info.task,
      x,
      y,
      steps: walkSteps(reply.layers.length),
      index: i,
      epoch: snap.epoch,
    };
    $("walk-slider").max = String(walk.steps.length - 1);
    show(k ?? shownStep);
  } catch (error) {
    if (mine !== token) return;
    $("walk-step").textContent = `The example could not be walked: ${error.message}`;
  }
}

/** The training point near a click on the data plot, if any, walked. Returns whether there was one. */
export function walkNear(point) {
  const i = app.dataView.nearestTrain(point);
  if (i === null) return false;
  // the walk is of one set of weights: hold them (the walk follows once they are current)
  if (app.run.phase === PLAYING) app.run.pause();
  walkExample(i);
  return true;
}

/**
 * New weights arrived: a walk of older weights, while the run stands still, is walked again,
 * also one still on its way (it would land with weights the diagram no longer shows).
 */
export function followWeights() {
  const snap = app.snapshot;
  if (asked && snap && snap.epoch !== asked.epoch && app.run.phase !== PLAYING) walkExample(asked.index, null);
}

export function bindBackprop() {
  view = new WalkView({
    diagram: app.diagram,
    stepEl: $("walk-step"),
    formulaEl: $("walk-formula"),
    numbersEl: $("walk-numbers"),
  });
  app.diagram.onBuild = () => view.redraw();
  $("walk-next").addEventListener("click", () => walk && show(walk.k + 1));
  $("walk-back").addEventListener("click", () => walk && show(walk.k - 1));
  $("walk-slider").addEventListener("input", (e) => show(Number(e.target.value)));
  $("walk-close").addEventListener("click", closeWalk);
}

// For the browser tests: the walk as shown.
export function currentWalk() {
  return walk;
}
