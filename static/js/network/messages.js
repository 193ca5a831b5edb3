// What the live session (WS /ws/train) says, handed to the views: a new run's data
// and network, each epoch's record, the run's phase, a changed hyperparameter
// (marked on the charts), the end, a weights snapshot, a refusal. Each handler only
// stores what arrived and draws little; frames.js draws the rest once per frame.

import { $, app, detailText, markServerErrors, showAlert } from "./app.js";
import { plain } from "../common/format.js";
import { followWeights } from "./backprop.js";
import { fillLayerSelect } from "./controls.js";
import { neutralBoundary } from "./data-view.js";
import { markDirty, showHeatmap, showReadout, showRunState } from "./frames.js";
import { LOST, PAUSED, PLAYING } from "./live-run.js";
import { publishTraining } from "./results.js";
import { updateScaling } from "./scaling.js";
import { showDataText } from "./sidebar.js";

export function onStart(info) {
  app.info = info;
  app.latest = null;
  $("param-count").textContent = `${info.parameters}`;
  document.querySelectorAll("#readout .acc").forEach((el) => (el.hidden = info.task !== "classification"));
  $("loss-caption").textContent =
    info.task === "classification"
      ? "Loss (cross-entropy) and accuracy per epoch"
      : "Loss (mean squared error) per epoch";
  app.dataView
    .draw({
      task: info.task,
      train: info.train,
      test: info.test,
      grid: info.grid,
      boundary: neutralBoundary(info.task, info.grid),
    })
    .then(() => {
      if (app.latest) markDirty("boundary");
      $("netpage").dataset.ready = "1";
    });
  app.diagram.setStructure(info.layer_sizes, info.activation, info.task);
  const layers = info.layer_sizes.length - 1;
  app.state.heatLayer = Math.min(app.state.heatLayer, layers);
  fillLayerSelect($("heat-layer"), layers, app.state.heatLayer);
  app.charts.reset({ task: info.task, layers, records: app.records, marks: app.marks });
  // what is in force, so a later change of rate or optimizer is marked on the charts
  app.inForce = { optimizer: info.optimizer, lr: info.hyperparameters.lr };
  if (app.snapshot) {
    app.diagram.setWeights(app.snapshot.weights);
    showHeatmap();
  } else app.heatmap.clear("Waiting for the first weights…");
  showDataText();
  showReadout();
  updateScaling();
  markDirty("weights");
}

export function onEpoch(message) {
  app.latest = message;
  if (message.boundary) app.boundaries += 1;
  for (const r of message.history) app.records.push(r);
  app.charts.push(message.history);
  if (message.units) {
    app.units = message.units;
    markDirty("units");
  }
  markDirty("boundary", "text", "weights");
  publishTraining({ final: false }); // for whoever listens: the lesson panel (common/events.js)
}

export function onPhase(phase) {
  const page = $("netpage");
  page.dataset.run = phase;
  if (phase === PLAYING) app.wasPlaying = true;
  if (phase === PAUSED) app.wasPlaying = false;
  const conn = $("connection");
  conn.hidden = phase !== LOST;
  if (phase === LOST) {
    const at = app.snapshot ? app.snapshot.epoch : 0;
    $("connection-text").textContent =
      (app.run.closeReason
        ? `${app.run.closeReason} `
        : `The connection to the server was lost at epoch ${app.run.epoch}. `) +
      (at > 0
        ? `Reconnect to carry on from epoch ${at}, the last weights seen (the optimizer's running averages start afresh).`
        : "Reconnect to start again.");
  }
  app.charts.flush();
  showRunState();
  // a still picture: make its weights current
  if (phase !== PLAYING) markDirty("text", "weights");
  else markDirty("text");
}

export function onSet(state) {
  app.lastSet = state;
  const lr = state.hyperparameters.lr;
  const epoch = state.epoch + app.run.epochOffset;
  $("lr-help").textContent = `γ = ${plain(lr)} in force since epoch ${epoch}, without a reset.`;
  const before = app.inForce;
  if (before && (before.lr !== lr || before.optimizer !== state.optimizer) && epoch > 0) {
    const name = state.optimizer !== before.optimizer ? `${app.optimizers[state.optimizer].title}, ` : "";
    const mark = { epoch, text: `${name}γ = ${plain(lr)}` };
    app.marks.push(mark);
    app.charts.mark(mark.epoch, mark.text);
  }
  app.inForce = { optimizer: state.optimizer, lr };
}

export function onDone(message) {
  markDirty("text", "weights");
  publishTraining({ final: true, status: message.status, verdict: message.verdict });
}

export function onWeights(snapshot) {
  const started = performance.now();
  app.snapshot = snapshot;
  app.diagram.setWeights(snapshot.weights, snapshot.gradients);
  app.hover.refresh();
  followWeights();
  showHeatmap();
  $("check-run").disabled = false;
  app.weightsCost = 0.7 * app.weightsCost + 0.3 * (performance.now() - started);
}

export function onError(detail, { refused }) {
  const text = detailText(detail);
  if (refused) {
    showAlert(`The server refused these settings: ${text}`);
    markServerErrors(detail);
  } else showAlert(`The server did not take that: ${text}`);
  showRunState();
}
