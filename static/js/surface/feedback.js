// Instant feedback on the surface explorer: what the learner sees before and
// around a run, wired into the controller (main.js) at two points: installFeedback()
// once the page has loaded, and actions.renderFeedback() after every drawn frame.
//
//   ghost.js            the ghost path: the selected hiker's whole path, fetched while editing
//   overlay.js          the ghost and the optimizer's marks, drawn on the map and in 3D
//   scrubber.js         the step slider, ← one step back, the step in the link
//   curvature.js        L and κ at the start and the minimum; 1/L and 2/L on the lr slider
//   optimizer-state.js  momentum's velocity and the adaptive step scale at the selected hiker
//   stability-map.js    verdicts over a grid of two hyperparameters, a click runs a cell

import { $, actions, app } from "./app.js";
import { CurvatureView } from "./curvature.js";
import { GhostRequests, wireStartDrag } from "./ghost.js";
import { OptimizerState, hasState } from "./optimizer-state.js";
import { Overlay } from "./overlay.js";
import { IDLE, PLAYING } from "./runner.js";
import { runBody } from "./runs.js";
import { Scrubber } from "./scrubber.js";
import { StabilityMap } from "./stability-map.js";
import { hikerLabel, hyperparameters, startOf } from "./state.js";
import { readNumber } from "../common/fields.js";
import { arrow2d } from "../common/hiker-marks.js";
import { roundToSpan } from "../common/format.js";
import { sliderToLr } from "../common/learning-rate.js";
import { readHyperFields } from "../common/optimizer-fields.js";
import { heightAt } from "../common/surface-traces.js";

const MARKS_INTERVAL = 100; // ms between redraws of the optimizer's marks while a run plays
const BOX = 50; // a descent's start must lie within 50 domain spans of the domain's centre

// What the learner is editing but has not let go of yet: it shapes the ghost only.
const preview = {};
let overlay;
let ghosts;
let curvature;
let optimizerState;
let scrubber;
let stability;
let committed = ""; // the selected hiker's settings last seen, to notice a change
let lastMarks = 0;
const shownGhost = { seq: 0 }; // the ghost on the map: for the tests and the benchmark

export function installFeedback() {
  overlay = new Overlay(app.view);
  // the stability map's default γ range follows the start's curvature
  curvature = new CurvatureView({ onChange: () => stability && stability.sync() });
  optimizerState = new OptimizerState();
  scrubber = new Scrubber();
  stability = new StabilityMap({ curvature: (options) => startCurvature(options) });
  ghosts = new GhostRequests({ onResult: drawGhost, onError: ghostFailed });
  wirePreviews();
  Object.assign(actions, {
    renderFeedback,
    stepBack: () => scrubber.stepBack(),
  });
  window.gradientHiker.feedback = {
    get ghost() {
      return { ...shownGhost, points: overlay.ghostPoints(), requests: { ...ghosts.counts } };
    },
    marks: () => curvature.marks.map((m) => ({ name: m.name, lr: m.lr })),
    get stability() {
      return stability.map;
    },
  };
  // a link's step first: the first frame would otherwise take it out of the link
  scrubber.restore(app.state.step, actions.startRun);
  renderFeedback();
}

// ---------------------------------------------------------------- what is being edited

function wirePreviews() {
  const slider = $("lr-slider");
  slider.addEventListener("input", () => {
    preview.lr = sliderToLr(Number(slider.value));
    refreshGhost();
  });
  // on "change" the controller has taken the value: the state says it now
  slider.addEventListener("change", () => delete preview.lr);
  const box = $("lr-input");
  box.addEventListener("input", () => {
    const r = readNumber(box, { name: "γ", positive: true, max: 1e6 });
    if (r.error) return;
    preview.lr = r.value;
    refreshGhost();
  });
  box.addEventListener("change", () => delete preview.lr);
  const fields = $("hyper-fields");
  fields.addEventListener("input", () => {
    const hiker = app.state.hikers[app.state.selected];
    const read = readHyperFields(fields, app.optimizers[hiker.optimizer]);
    if (read.error) return;
    preview.params = read.params;
    refreshGhost();
  });
  fields.addEventListener("change", () => delete preview.params);
  wireStartDrag(app.view.elMap, {
    toPoint: (fx, fy) => {
      const [x0, x1] = app.info.x_range;
      const [y0, y1] = app.info.y_range;
      return [roundToSpan(x0 + fx * (x1 - x0), x1 - x0), roundToSpan(y1 - fy * (y1 - y0), y1 - y0)];
    },
    onMove: (point) => {
      preview.start = point;
      refreshGhost();
    },
    onDrop: (point) => {
      delete preview.start;
      actions.setStart(point);
      actions.restartOrReset();
    },
  });
}

// ---------------------------------------------------------------- the ghost path

/** Why no run can start at `point` (a 422 from the server), or null. */
function unusableStart(point, z) {
  const [x0, x1] = app.info.x_range;
  const [y0, y1] = app.info.y_range;
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  if (!point.every(Number.isFinite)) return "the start is not a point";
  if (Math.abs(point[0] - cx) > BOX * (x1 - x0) || Math.abs(point[1] - cy) > BOX * (y1 - y0))
    return "the start is too far off the map";
  if (z === null) return "f is not finite at the start";
  return null;
}

/** The body of the ghost's descent: the selected hiker's run, as Run would send it, with what is being edited. */
function ghostSpec() {
  const s = app.state;
  const i = s.selected;
  const hiker = s.hikers[i];
  const body = runBody();
  let run = body.runs[i];
  delete run.label;
  if (preview.params) {
    run = { optimizer: hiker.optimizer, ...preview.params, start: run.start };
    if ("lr" in hiker.params) run.lr = hiker.params.lr;
  }
  if (preview.lr !== undefined) run.lr = preview.lr;
  if (preview.start) run.start = preview.start;
  const lr = run.lr ?? app.optimizers[hiker.optimizer].hyperparameters.lr.default;
  let problem = lr > 0 && lr <= 1e6 ? null : "the learning rate must be above 0";
  // f at the start: the run's first point when it is that start, the mesh for a start being dragged
  let z = 0; // not known here: the server judges
  const first = app.runner.runs[i] && app.runner.runs[i].path;
  if (preview.start) {
    if (inDomain(run.start)) z = heightAt(app.mesh, ...run.start);
  } else if (first && first.z.length && first.x[0] === run.start[0] && first.y[0] === run.start[1]) {
    z = first.z[0];
  }
  problem = problem || unusableStart(run.start, z);
  body.runs = [run];
  const { optimizer, start, ...params } = run;
  return {
    key: JSON.stringify(body),
    context: JSON.stringify([body.surface, i, optimizer]),
    body,
    problem,
    label: hikerLabel({ ...hiker, params }, app.optimizers),
    hiker: i,
    lr,
    start,
  };
}

function inDomain([x, y]) {
  const [x0, x1] = app.info.x_range;
  const [y0, y1] = app.info.y_range;
  return x >= x0 && x <= x1 && y >= y0 && y <= y1;
}

let ghostProblem = null;
let ghostContext = null;

function refreshGhost() {
  if (!app.info) return;
  const spec = ghostSpec();
  if (spec.problem) {
    if (spec.problem !== ghostProblem) {
      ghostProblem = spec.problem;
      ghosts.clear();
      overlay.setGhost(null);
      ghostStatus(null, `No ghost path: ${spec.problem}.`);
    }
    return;
  }
  ghostProblem = null;
  if (spec.context !== ghostContext) {
    // another surface or hiker: its old ghost goes at once, not when the new one lands
    ghostContext = spec.context;
    if (overlay.ghost) overlay.setGhost(null);
  }
  ghosts.want(spec);
}

const VERDICT_WORDS = {
  converged: (n) => `converges in ${n} steps`,
  crawling: (n) => `still crawling after ${n} steps`,
  oscillating: (n) => `still bouncing after ${n} steps`,
  diverged: (n) => `diverges: flies off after ${n} steps`,
  saddle: (n) => `stops at a saddle after ${n} steps`,
  maximum: (n) => `stops at a maximum after ${n} steps`,
};

async function drawGhost(spec, run) {
  const hiker = app.state.hikers[spec.hiker];
  if (!hiker || spec.context !== ghostSpec().context) return; // another surface or hiker by now
  await overlay.setGhost(run.path, hiker.colour);
  // drawn: the browser paints it at its next frame
  await new Promise((resolve) => requestAnimationFrame(resolve));
  Object.assign(shownGhost, {
    seq: shownGhost.seq + 1,
    key: spec.key,
    lr: spec.lr,
    start: spec.start,
    verdict: run.verdict,
    steps: run.steps,
    drawnAt: performance.now(),
  });
  const words = (VERDICT_WORDS[run.verdict] || ((n) => `${run.verdict} after ${n} steps`))(run.steps);
  ghostStatus(
    run.verdict,
    `Ghost of hiker ${spec.hiker + 1} (${spec.label}): ${words}. Press Run to watch it.`,
  );
  if (!preview.start) curvature.setRun(run);
}

function ghostFailed(spec, error) {
  overlay.setGhost(null);
  ghostStatus(null, `No ghost path: ${error.message}`);
}

function ghostStatus(verdict, text) {
  const el = $("ghost-status");
  el.querySelector("[data-ghost-text]").textContent = text;
  if (verdict) el.dataset.verdict = verdict;
  else delete el.dataset.verdict;
}

// ---------------------------------------------------------------- after every frame

/** L at the selected hiker's start ({bowl: true}: only where the minimum's is the same, as on a quadratic). */
function startCurvature({ bowl = false } = {}) {
  const c = curvature.curvature();
  if (!c || c.where !== "at the start") return null;
  if (bowl) {
    const m = curvature.minimum && curvature.minimum.reading;
    if (!m || !m.eigenvalues || Math.abs(m.eigenvalues[1] - c.L) > 0.05 * c.L) return null;
  }
  return c;
}

/** The selected hiker, its start and the stopping rules changed: curvature, stability panel, legend. */
function settingsChanged() {
  const s = app.state;
  const hiker = s.hikers[s.selected];
  const start = startOf(s, s.selected, app.info);
  const startKey = JSON.stringify([s.surface, start]);
  if (startKey !== curvature.startKey) {
    curvature.startKey = startKey;
    curvature.setStart(s.surface, start);
  }
  curvature.setHiker(hiker.optimizer, hyperparameters(hiker, app.optimizers));
  stability.sync();
}

function renderFeedback() {
  if (!app.info || !overlay) return;
  const s = app.state;
  const hiker = s.hikers[s.selected];
  const key = JSON.stringify([s.surface, s.selected, hiker, startOf(s, s.selected, app.info)]);
  if (key !== committed) {
    committed = key;
    settingsChanged();
  }
  if (overlay.ghost && overlay.ghost.colour !== hiker.colour)
    overlay.setGhost(overlay.ghost.full, hiker.colour);
  refreshGhost();
  scrubber.follow();
  overlay.keep3d();
  const now = performance.now();
  if (app.runner.state !== PLAYING || now - lastMarks > MARKS_INTERVAL) {
    lastMarks = now;
    drawMarks();
  }
}

/** The optimizer's state at the selected hiker's shown step, on the map and in the legend. */
function drawMarks() {
  const s = app.state;
  const i = s.selected;
  const hiker = s.hikers[i];
  const run = app.runner.runs[i];
  const hyper = hyperparameters(hiker, app.optimizers);
  const view = app.view;
  let marks = { velocity: null, box: null, legend: [] };
  if (run && app.runner.state !== IDLE && view.surface) {
    marks = optimizerState.at({
      optimizer: hiker.optimizer,
      hyper,
      path: run.path,
      k: app.runner.shown(i),
      spans: view.spans,
      // the map's own −∇f arrow for a vector, so the velocity is drawn to the same scale
      arrow: (gx, gy) => arrow2d(view, gx, gy),
    });
  }
  overlay.setMarks({ velocity: marks.velocity, box: marks.box });
  stateLegend(hiker, hyper, marks.legend);
}

function stateLegend(hiker, hyper, items) {
  const el = $("state-legend");
  const shows = hasState(hiker.optimizer, hyper);
  el.hidden = !shows;
  if (!shows) return;
  const text = items.length
    ? items
    : [
        {
          kind: "none",
          text: `Step or scrub the run to see ${hikerLabel(hiker, app.optimizers)}'s state at each step.`,
        },
      ];
  const signature = JSON.stringify(text);
  if (el.dataset.signature === signature) return;
  el.dataset.signature = signature;
  el.replaceChildren(
    ...text.flatMap((item, k) => {
      const key = document.createElement("span");
      key.className = `key key-${item.kind}`;
      key.setAttribute("aria-hidden", "true");
      const words = document.createElement("span");
      words.dataset.mark = item.kind;
      words.textContent = ` ${item.text}`;
      return k ? [document.createTextNode(" · "), key, words] : [key, words];
    }),
  );
}
