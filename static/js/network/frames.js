// Drawing is paced by the screen, not by the socket: the socket's handlers only
// store what arrived and mark it dirty; one animation frame draws what changed
// (the boundary as often as its measured cost allows, the readout ten times a
// second) and asks for fresh weights when the diagram wants them.

import { $, app, status } from "./app.js";
import { fmt } from "../common/format.js";
import { verdictWords } from "./verdicts.js";
import { CONNECTING, DIVERGED, DONE, LOST, PAUSED, PLAYING, REFUSED } from "./live-run.js";

const TEXT_INTERVAL = 100; // ms between readout updates while training
const WEIGHTS_INTERVAL = 200; // ms between weight snapshots while training (more for big networks)

const dirty = {
  boundary: false,
  units: false,
  lastUnits: -Infinity,
  text: false,
  weights: false,
  lastBoundary: -Infinity,
  lastText: -Infinity,
  lastWeightsAsk: -Infinity,
  raf: null,
};

/** Mark what needs drawing ("boundary", "units", "text", "weights") and ask for a frame. */
export function markDirty(...what) {
  for (const w of what) dirty[w] = true;
  schedule();
}

export function schedule() {
  if (dirty.raf === null) dirty.raf = requestAnimationFrame(frame);
}

function frame(now) {
  dirty.raf = null;
  const run = app.run;
  let again = false;
  if (dirty.boundary && app.latest && app.latest.boundary) {
    // once a frame while it costs little (it does: a canvas repaint), less often if it grew slow
    if (now - dirty.lastBoundary >= 3 * app.dataView.cost) {
      app.dataView.setBoundary(app.latest.boundary);
      dirty.boundary = false;
      dirty.lastBoundary = now;
    } else again = true;
  }
  if (dirty.units && app.units) {
    // the maps too are paced by what they cost to paint
    if (now - dirty.lastUnits >= Math.max(60, 4 * app.diagram.maps.cost)) {
      app.diagram.setUnits(app.units, app.info.activation);
      app.hover.refresh();
      dirty.units = false;
      dirty.lastUnits = now;
    } else again = true;
  }
  if (dirty.text) {
    if (run.phase !== PLAYING || now - dirty.lastText >= TEXT_INTERVAL) {
      showReadout();
      dirty.text = false;
      dirty.lastText = now;
    } else again = true;
  }
  if (dirty.weights) {
    // a big network's snapshot is large to send and to draw: ask less often
    const P = app.info ? app.info.parameters : 0;
    const wait = run.phase === PLAYING ? Math.max(WEIGHTS_INTERVAL, P / 40, 10 * app.weightsCost) : 0;
    if (now - dirty.lastWeightsAsk >= wait && run.requestWeights()) {
      dirty.weights = false;
      dirty.lastWeightsAsk = now;
    } else if (run.connected && run.hasSession) again = true;
  }
  if (again) schedule();
}

const pct = (v) => (v === null || v === undefined ? "—" : `${(100 * v).toFixed(1)}%`);

/** The newest epoch's numbers, or dashes when there is none yet (a new run, new data). */
export function showReadout() {
  const m = app.latest;
  $("epoch").textContent = String(app.run.epoch);
  $("netpage").dataset.epoch = String(app.run.epoch);
  $("train-loss").textContent = m ? fmt(m.train_loss, 4) : "—";
  $("test-loss").textContent = !m ? "—" : m.test_loss === null ? "no test points" : fmt(m.test_loss, 4);
  $("train-acc").textContent = m ? pct(m.train_accuracy) : "—";
  $("test-acc").textContent = m ? pct(m.test_accuracy) : "—";
  if (m) app.diagram.setGradNorms(m.layers);
  showRunState();
}

export function showRunState() {
  const run = app.run;
  const phase = run.phase;
  const epoch = run.epoch;
  const play = $("play");
  const labels = {
    [PLAYING]: ["❚❚ Pause", "Pause"],
    [PAUSED]: epoch === run.epochOffset ? ["▶ Train", "Train"] : ["▶ Resume", "Resume"],
    [DONE]: ["↻ Train again", "Train again from epoch 0"],
    [DIVERGED]: ["↻ Train again", "Train again from epoch 0"],
    [REFUSED]: ["▶ Train", "Train"],
    [CONNECTING]: ["▶ Train", "Train"],
    [LOST]: ["▶ Train", "Train"],
  }[phase];
  if (play.textContent !== labels[0]) play.textContent = labels[0];
  play.setAttribute("aria-label", labels[1]);
  play.disabled = phase === CONNECTING || phase === LOST;
  $("step").disabled = !(phase === PLAYING || phase === PAUSED);
  const speed = app.state.speed ? `${app.state.speed} epochs/s` : "full speed";
  // the server's verdict on the newest epoch (API.md); unknown: no badge
  const m = app.latest;
  const words = m && m.epoch > 0 ? verdictWords(m.verdict) : null;
  const verdict = words ? m.verdict : null;
  const why = words ? `: ${words.say}` : ".";
  const texts = {
    [CONNECTING]: "Starting…",
    [PLAYING]: words ? `Training (${speed})${why}` : `Training… (${speed})`,
    [PAUSED]:
      epoch === 0
        ? "Ready — press Train (Space)."
        : `Paused at epoch ${epoch}${why}`,
    [DONE]: `Done, ${epoch} epochs${why}`,
    [DIVERGED]: `Diverged in epoch ${epoch + 1}: the loss stopped being finite (shown: epoch ${epoch}). Lower the learning rate.`,
    [LOST]: `${run.closeReason ? "Disconnected" : "Connection lost"} at epoch ${epoch}.`,
    [REFUSED]: "Not training: fix the settings (see the message above).",
  };
  status(texts[phase], phase === DIVERGED ? "diverged" : phase === CONNECTING || phase === REFUSED ? null : verdict);
  $("netpage").dataset.epoch = String(epoch);
  $("epoch").textContent = String(epoch);
}

export function showHeatmap() {
  const snap = app.snapshot;
  if (!snap || !app.info || snap.gradients.length !== app.info.layer_sizes.length - 1) return;
  app.heatmap.show(app.state.heatLayer, snap.gradients, snap.epoch);
}
