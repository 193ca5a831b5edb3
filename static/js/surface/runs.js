// The run: back to the start, a new run (a stream) with the current settings
// once they are all valid, and the run / pause / step buttons' logic.

import { $, app, hikerViews, showAlert, starts } from "./app.js";
import { Replay } from "./optim.js";
import { render, renderEquation, showRunState } from "./playback.js";
import { DONE, IDLE, PAUSED, PLAYING } from "./runner.js";
import { hikerLabel, hyperparameters, startOf } from "./state.js";
import { api } from "../common/api.js";
import { Trail } from "../common/trail.js";

/** Back to the start: abort any stream, put the hikers at their starts (f and ∇f from the API). */
export async function resetRun() {
  const token = ++app.resetToken;
  app.runner.abort();
  const points = starts();
  let values = null;
  try {
    values = await api.evaluate(app.state.surface, points);
  } catch (error) {
    showAlert(`Could not evaluate the start points: ${error.message}`);
  }
  if (token !== app.resetToken) return;
  app.runner.setIdle(
    points.map((p, i) => ({
      x: p[0],
      y: p[1],
      z: values ? values.z[i] : null,
      grad_x: values ? (values.grad_x[i] ?? 0) : 0,
      grad_y: values ? (values.grad_y[i] ?? 0) : 0,
    })),
  );
  newTrails();
  await app.charts.reset(hikerViews(), { logLoss: app.state.logLoss, tolerance: app.state.tolerance });
  app.lastSignature = "";
  showRunState(app.runner.state);
  render();
  renderEquation(true);
}

function newTrails() {
  app.trails = app.runner.runs.map((r) => new Trail(r.path));
  app.replays = app.runner.runs.map((r, i) => {
    const h = app.state.hikers[i];
    return new Replay(h.optimizer, hyperparameters(h, app.optimizers), r.path);
  });
}

/** Check every input before a run; the first problem is shown next to its field. */
function settingsProblem() {
  const boxes = [
    "lr-error",
    "hyper-error",
    "max-steps-error",
    "tolerance-error",
    "noise-error",
    "seed-error",
    "start-error",
  ];
  // a shown box with role=alert is an error (the start box also carries a mere note)
  const invalid = boxes.map((id) => $(id)).find((box) => !box.hidden && box.getAttribute("role") === "alert");
  if (invalid) return invalid.textContent;
  for (const [i, hiker] of app.state.hikers.entries()) {
    const lr = hyperparameters(hiker, app.optimizers).lr;
    if (!(lr > 0)) return `Hiker ${i + 1}: the learning rate must be greater than 0.`;
  }
  return null;
}

export function runBody() {
  const s = app.state;
  return {
    surface: s.surface,
    runs: s.hikers.map((h, i) => ({
      optimizer: h.optimizer,
      ...h.params,
      start: startOf(s, i, app.info),
      label: hikerLabel(h, app.optimizers),
    })),
    max_steps: s.maxSteps,
    tolerance: s.tolerance,
    gradient_noise: s.noise,
    seed: s.seed,
  };
}

/** Start a new run (a new stream). Returns false when the settings are not valid. */
export function startRun({ play = true } = {}) {
  if (!app.info) return false;
  const problem = settingsProblem();
  if (problem) {
    showAlert(`Fix this before running: ${problem}`);
    return false;
  }
  showAlert(null);
  ++app.resetToken; // a pending reset must not overwrite this run
  app.runner.start(runBody(), { play });
  newTrails();
  app.lastSignature = "";
  app.charts.reset(hikerViews(), { logLoss: app.state.logLoss, tolerance: app.state.tolerance });
  return true;
}

export function runPause() {
  if (app.runner.state === PLAYING) app.runner.pause();
  else if (app.runner.state === PAUSED || app.runner.state === DONE) app.runner.play();
  else startRun({ play: true });
}

export function stepOnce() {
  if (app.runner.state === IDLE) {
    if (startRun({ play: false })) app.runner.stepWhenReady();
  } else app.runner.step();
}

/** After a setting changed: a playing run restarts with it, otherwise the hikers go back to the start. */
export function restartOrReset() {
  if (app.runner.state === PLAYING) {
    if (!startRun({ play: true })) resetRun();
  } else resetRun();
}

/** The hikers changed (count, optimizer, colour…): new hiker traces, run reset or restarted. */
