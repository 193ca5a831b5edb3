// Drawing the run: each animation frame moves the hikers in both views and the
// charts, and (a few times a second) refreshes the readout, the hiker badges,
// the status line and the equation panel.

import { $, actions, app, status } from "./app.js";
import { updateBadges } from "./controls.js";
import { DONE, IDLE, PAUSED, PLAYING } from "./runner.js";
import { hikerLabel, hyperparameters } from "./state.js";
import { describeVerdict, minimumReached } from "./verdicts.js";

export function showRunState(state) {
  const button = $("run");
  button.textContent = { [IDLE]: "▶ Run", [PLAYING]: "❚❚ Pause", [PAUSED]: "▶ Resume", [DONE]: "↻ Replay" }[
    state
  ];
  button.setAttribute(
    "aria-label",
    { [IDLE]: "Run", [PLAYING]: "Pause", [PAUSED]: "Resume", [DONE]: "Replay" }[state],
  );
  $("explorer").dataset.run = state;
  if (state === IDLE) status("Ready — press Run (Space) to send the hikers downhill.");
  if (state === PLAYING) status("Walking…");
  if (state === PAUSED) status(`Paused at step ${Math.floor(app.runner.cursor)} — Run resumes, → steps.`);
  if (state === DONE) status(summary());
  if (state !== PLAYING) app.view && app.view.flush3d();
}

/** "Done: 2 converged, 1 crawling." — the server's verdicts, counted. */
function summary() {
  const counts = {};
  app.runner.runs.forEach((r) => {
    const word = r.verdict || r.status;
    counts[word] = (counts[word] || 0) + 1;
  });
  const parts = Object.entries(counts).map(([word, n]) => `${n} ${word}`);
  return `Done: ${parts.join(", ")}. Run replays it; r resets.`;
}

/** Hiker i's verdict from the server, once it is shown at its end. */
export function verdictOf(i) {
  return app.runner.arrived(i) ? describeVerdict(app.runner.runs[i]) : null;
}

/** One readout row per hiker at its shown step. */
function readoutValues(shown) {
  const span = Math.max(app.info.x_range[1] - app.info.x_range[0], app.info.y_range[1] - app.info.y_range[0]);
  return app.runner.runs.map((run, i) => {
    const p = run.path;
    const k = shown[i];
    const has = p.x.length > 0;
    const arrived = app.runner.arrived(i);
    return {
      step: k,
      x: has ? p.x[k] : null,
      y: has ? p.y[k] : null,
      f: has ? p.z[k] : null,
      grad: has ? Math.hypot(p.grad_x[k], p.grad_y[k]) : null,
      status: arrived ? run.status : null,
      steps: run.steps,
      walking: app.runner.state !== IDLE && !arrived,
      minimum: arrived ? minimumReached(run, span) : null,
      verdict: verdictOf(i),
      selected: i === app.state.selected,
    };
  });
}

export function render() {
  if (!app.info || app.runner.runs.length !== app.state.hikers.length) return;
  const playing = app.runner.state === PLAYING;
  const shown = app.runner.runs.map((_, i) => app.runner.shown(i));
  // what is drawn depends only on the shown steps (chunks arriving beyond them change nothing)
  const signature = `${shown.map((k, i) => (app.runner.runs[i].path.x.length ? k : -1)).join(",")}|${app.runner.state}`;
  if (signature !== app.lastSignature) {
    app.lastSignature = signature;
    const frame = app.runner.runs.map((run, i) => {
      const p = run.path;
      const k = shown[i];
      const has = p.x.length > 0;
      return {
        trail: has && app.trails[i] ? app.trails[i].to(k) : { x: [], y: [], z: [] },
        at: has ? [p.x[k], p.y[k], p.z[k]] : null,
        grad: has ? [p.grad_x[k], p.grad_y[k]] : [0, 0],
      };
    });
    app.view.update(frame, { force3d: !playing });
    app.charts.update(() => chartSeries(shown), { force: !playing });
  }
  // text changes make the browser lay the page out again: 10 times a second is plenty
  const t = performance.now();
  if (!playing || t - app.lastText > 100) {
    app.lastText = t;
    app.readout.update(readoutValues(shown));
    updateBadges(
      $("hiker-list"),
      app.runner.runs.map((_, i) => verdictOf(i)),
    );
    if (app.runner.state === PAUSED)
      status(`Paused at step ${Math.floor(app.runner.cursor)} — Run resumes, → steps.`);
  }
  renderEquation(!playing);
  if (actions.renderFeedback) actions.renderFeedback(); // ghost, scrubber, the optimizer's marks
}

/** Cost and gradient norm per step up to the shown step, thinned to ≤ 2000 points a line. */
function chartSeries(shown) {
  return app.runner.runs.map((run, i) => {
    const p = run.path;
    const n = p.x.length ? shown[i] + 1 : 0;
    const stride = Math.max(1, Math.ceil(n / 2000));
    const steps = [];
    const f = [];
    const g = [];
    for (let j = 0; j < n; j += stride) {
      steps.push(j);
      f.push(p.z[j]);
      g.push(Math.hypot(p.grad_x[j], p.grad_y[j]));
    }
    if (n && steps[steps.length - 1] !== n - 1) {
      steps.push(n - 1);
      f.push(p.z[n - 1]);
      g.push(Math.hypot(p.grad_x[n - 1], p.grad_y[n - 1]));
    }
    return { steps, f, g };
  });
}

/** The equation panel follows the selected hiker; while playing it refreshes 4 times a second. */
export function renderEquation(now = false) {
  const t = performance.now();
  if (!now && t - app.lastEquation < 250) return;
  app.lastEquation = t;
  const i = app.state.selected;
  const hiker = app.state.hikers[i];
  if (!hiker || !app.runner.runs[i]) return;
  const running = app.runner.state !== IDLE;
  app.equations.show({
    label: `${i + 1}. ${hikerLabel(hiker, app.optimizers)}`,
    optimizer: hiker.optimizer,
    hyper: hyperparameters(hiker, app.optimizers),
    replay: running ? app.replays[i] : null,
    k: running ? app.runner.shown(i) : 0,
    noise: app.state.noise,
  });
}
