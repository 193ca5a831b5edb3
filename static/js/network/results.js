// What the network page's runs produced, published for whoever listens on this
// window (the lesson panel, from beside the page: common/events.js): training as
// it goes and when it ends, a gradient check, one example's backprop walk.

import { app } from "./app.js";
import { hyperparameters } from "./state.js";
import { publish } from "../common/events.js";

/** Training so far (`final` once the run is done): the newest epoch and every recorded one. */
export function publishTraining({ final, status = null, verdict = null }) {
  const latest = app.latest;
  publish("training", {
    final,
    status,
    epoch: latest ? latest.epoch : 0,
    verdict: verdict ?? (latest ? latest.verdict : null) ?? null,
    lr: hyperparameters(app.state, app.optimizers).lr,
    test_accuracy: latest ? latest.test_accuracy : null,
    train_accuracy: latest ? latest.train_accuracy : null,
    records: app.records,
  });
}

/** A gradient check's report (backprop beside nudging). */
export function publishGradientCheck(report) {
  publish("gradient-check", {
    final: true,
    parameters: report.parameters,
    relative_error: report.relative_error,
    cost: report.cost,
  });
}

/** One example's walk at step `k` of its steps. */
export function publishWalk(walk, k) {
  const step = walk.steps[k];
  publish("backprop", {
    final: k === walk.steps.length - 1,
    step: k,
    steps: walk.steps.length,
    phase: step.phase,
    layer: step.l,
  });
}
