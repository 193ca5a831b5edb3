// What a finished run produced, published for whoever listens on this window
// (the lesson panel, from beside the page: common/events.js): each hiker's
// optimizer, learning rate, the server's verdict and the minimum it reached.

import { app } from "./app.js";
import { hyperparameters, shortLabel } from "./state.js";
import { minimumReached } from "./verdicts.js";
import { publish } from "../common/events.js";

/** Publish the run that has just played to its end. */
export function publishRun() {
  if (!app.info) return;
  const [x0, x1] = app.info.x_range;
  const [y0, y1] = app.info.y_range;
  const span = Math.max(x1 - x0, y1 - y0);
  const hikers = app.runner.runs.map((run, i) => {
    const hiker = app.state.hikers[i];
    // the hyperparameters the run was made with (the stream's start says them)
    const used = run.hyperparameters || (hiker ? hyperparameters(hiker, app.optimizers) : {});
    return {
      label: hiker ? shortLabel(hiker, app.optimizers) : `hiker ${i + 1}`,
      optimizer: hiker ? hiker.optimizer : null,
      lr: used.lr ?? null,
      start: run.path.x.length ? [run.path.x[0], run.path.y[0]] : null,
      status: run.status,
      verdict: run.verdict,
      steps: run.steps,
      minimum: minimumReached(run, span),
    };
  });
  publish("descent", { final: true, hikers });
}
