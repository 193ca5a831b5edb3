// The sidebar: every control drawn from the state, and what a change to it does.
// Data, network, batch size or run length start a new run from epoch 0
// (actions.restartRun); the learning rate, the optimizer, its hyperparameters,
// L2 and speed are told to the running session (actions.applyHyperparameters).

import { $, actions, app } from "./app.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { plain } from "../common/format.js";
import { showLearningRate, wireLearningRate } from "../common/learning-rate.js";
import { readHyperFieldsChecked, renderHyperFields } from "../common/optimizer-fields.js";
import { fillBatchSelect, fillTestShareSelect, renderLayerList } from "./controls.js";
import { OWN, currentLink, epochsThatFit, hyperparameters, parameterCount, round2 } from "./state.js";

export function syncControls() {
  const s = app.state;
  $("dataset").value = s.points ? OWN : s.dataset;
  $("n").value = String(s.n);
  $("noise").value = String(s.noise);
  $("noise-out").textContent = plain(s.noise);
  fillTestShareSelect($("test-share"), s.testFraction);
  $("activation").value = s.activation;
  $("speed").value = String(s.speed);
  fillBatchSelect($("batch"), s.batchSize);
  $("l2").value = plain(s.l2);
  $("epochs").value = String(s.epochs);
  $(s.directions === "random" ? "dir-random" : "dir-pca").checked = true;
  $("land-log").checked = s.logHeight;
  $(s.lossScale === "linear" ? "loss-linear" : "loss-log").checked = true;
  renderLayers();
  renderOptimizer();
  showDataText();
  showEpochsHelp();
}

export function showEpochsHelp() {
  const fit = epochsThatFit(app.state, app.limits);
  $("epochs-help").textContent =
    fit < app.state.epochs
      ? `A network this size on this many points stops at epoch ${Math.max(fit, 0)}: that is the server's bound on the work of one run.`
      : "The run ends here; a new value starts a new run.";
}

export function renderLayers() {
  const s = app.state;
  renderLayerList($("layers"), s.hidden, {
    maxUnits: app.limits.max_hidden_units,
    onUnits: (i, input) => {
      const r = readNumber(input, {
        name: `Hidden layer ${i + 1}`,
        min: 1,
        max: app.limits.max_hidden_units,
        integer: true,
      });
      if (r.error) {
        setFieldError(
          input,
          $("layers-error"),
          `${r.error} A layer has 1 to ${app.limits.max_hidden_units} units.`,
        );
        return;
      }
      setFieldError(input, $("layers-error"), null);
      s.hidden[i] = r.value;
      networkChanged();
    },
    onRemove: (i) => {
      s.hidden.splice(i, 1);
      setFieldError(null, $("layers-error"), null);
      renderLayers();
      networkChanged();
    },
  });
  $("add-layer").disabled = s.hidden.length >= app.limits.max_hidden_layers;
  $("add-layer").title =
    s.hidden.length >= app.limits.max_hidden_layers
      ? `At most ${app.limits.max_hidden_layers} hidden layers`
      : "";
  $("param-count").textContent = String(parameterCount(s.hidden));
}

function networkChanged() {
  $("param-count").textContent = String(parameterCount(app.state.hidden));
  showEpochsHelp();
  actions.restartRun();
}

export function renderOptimizer() {
  const s = app.state;
  const info = app.optimizers[s.optimizer];
  const h = hyperparameters(s, app.optimizers);
  $("optimizer").value = s.optimizer;
  $("optimizer-description").textContent = info.description;
  showLearningRate(h.lr);
  renderHyperFields($("hyper-fields"), info, s.params);
  setFieldError($("lr-input"), $("lr-error"), null);
  setFieldError(null, $("hyper-error"), null);
}

/** The dataset's words, the legend and which drawing controls show, for the data as it is. */
export function showDataText() {
  const s = app.state;
  const info = app.info;
  const task = s.points ? s.points.task : info ? info.task : "classification";
  const classify = task === "classification";
  const own = Boolean(s.points);
  const datasetInfo = app.datasets.find((d) => d.name === s.dataset);
  $("dataset-description").textContent = own
    ? `${s.points.y.length} points you drew (${classify ? "two colours" : "a value each"}). Click the plot to add more.`
    : datasetInfo
      ? datasetInfo.description
      : "";
  $("data-caption").textContent = classify ? "Data and decision boundary" : "Data and the fitted surface";
  $("legend-classes").hidden = !classify;
  $("legend-values").hidden = classify;
  $("draw-1-label").textContent = classify ? "+ orange" : "+ point";
  $("draw-0").hidden = !classify;
  $("draw-0-label").hidden = !classify;
  $("target-field").hidden = classify || $("draw-off").checked;
  $("undo-point").hidden = !own;
  $("clear-points").hidden = !own;
  $("regenerate").hidden = own;
  $("n-field").hidden = own;
  $("noise-field").hidden = own;
  $("seed-line").textContent = own ? "Your points are kept in the link." : `Data seed ${s.seed}.`;
  $("weight-seed-line").textContent =
    `Starting weights: seed ${s.weightSeed} (New weights draws others; Reset keeps them).`;
  $("draw-hint").hidden = $("draw-off").checked;
}

// ---------------------------------------------------------------- what a change does

/** The run's points (train and test) as points drawn by hand, to add to or edit. */
export function ownPointsFromRun() {
  const info = app.info;
  const x = [...info.train.x, ...info.test.x].map(([a, b]) => [round2(a), round2(b)]);
  const y = [...info.train.y, ...info.test.y].map((v) => (info.task === "classification" ? v : round2(v)));
  return { x, y, task: info.task };
}

function bindData() {
  const s = () => app.state;
  $("dataset").addEventListener("change", (e) => {
    const value = e.target.value;
    if (value === OWN) {
      // start from the points on screen, so there is something to edit
      if (!s().points && app.info) s().points = ownPointsFromRun();
      if (!s().points) s().points = { x: [], y: [], task: "classification" };
      if ($("draw-off").checked) $("draw-1").checked = true;
    } else {
      s().points = null;
      s().dataset = value;
    }
    setFieldError($("n"), $("n-error"), null);
    showDataText();
    actions.restartRun();
  });
  $("n").addEventListener("change", () => {
    const r = readNumber($("n"), {
      name: "The number of points",
      min: app.limits.min_points,
      max: app.limits.max_points,
      integer: true,
    });
    if (r.error) {
      setFieldError($("n"), $("n-error"), r.error);
      return;
    }
    setFieldError($("n"), $("n-error"), null);
    s().n = r.value;
    showEpochsHelp();
    actions.restartRun();
  });
  $("noise").addEventListener("input", (e) => ($("noise-out").textContent = plain(Number(e.target.value))));
  $("noise").addEventListener("change", (e) => {
    s().noise = Number(e.target.value);
    actions.restartRun();
  });
  $("test-share").addEventListener("change", (e) => {
    s().testFraction = Number(e.target.value);
    showEpochsHelp();
    actions.restartRun();
  });
  $("regenerate").addEventListener("click", () => {
    s().seed += 1;
    showDataText();
    actions.restartRun();
  });
  $("undo-point").addEventListener("click", () => {
    if (!s().points || !s().points.y.length) return;
    s().points.x.pop();
    s().points.y.pop();
    showDataText();
    actions.restartRun();
  });
  $("clear-points").addEventListener("click", () => {
    const task = s().points ? s().points.task : "classification";
    s().points = { x: [], y: [], task };
    if ($("draw-off").checked) $("draw-1").checked = true;
    showDataText();
    actions.restartRun();
  });
  for (const radio of document.querySelectorAll('input[name="draw"]'))
    radio.addEventListener("change", showDataText);
}

function bindNetwork() {
  const s = () => app.state;
  $("add-layer").addEventListener("click", () => {
    const hidden = s().hidden;
    if (hidden.length >= app.limits.max_hidden_layers) return;
    hidden.push(hidden.length ? hidden[hidden.length - 1] : 8);
    renderLayers();
    networkChanged();
  });
  $("activation").addEventListener("change", (e) => {
    s().activation = e.target.value;
    actions.restartRun();
  });
  $("new-weights").addEventListener("click", () => {
    s().weightSeed += 1;
    showDataText();
    actions.reset();
  });
}

function bindTraining() {
  const s = () => app.state;
  $("optimizer").addEventListener("change", (e) => {
    const lr = hyperparameters(s(), app.optimizers).lr;
    s().optimizer = e.target.value;
    // keep the learning rate only if the learner set one; else the new optimizer's default
    s().params = "lr" in s().params ? { lr } : {};
    renderOptimizer();
    actions.applyHyperparameters({ optimizer: s().optimizer, ...hyperparameters(s(), app.optimizers) });
  });
  wireLearningRate((value, source) => {
    s().params.lr = value;
    showLearningRate(value, { box: source !== "input" });
    setFieldError($("lr-input"), $("lr-error"), null);
    actions.applyHyperparameters({ lr: value });
  });
  $("hyper-fields").addEventListener("change", () => {
    const params = readHyperFieldsChecked(app.optimizers[s().optimizer]);
    if (!params) return;
    const lr = s().params.lr;
    s().params = lr === undefined ? params : { lr, ...params };
    actions.applyHyperparameters({ optimizer: s().optimizer, ...hyperparameters(s(), app.optimizers) });
  });
  $("batch").addEventListener("change", (e) => {
    s().batchSize = e.target.value === "full" ? null : Number(e.target.value);
    showEpochsHelp();
    actions.restartRun();
  });
  $("l2").addEventListener("change", () => {
    const r = readNumber($("l2"), { name: "The L2 penalty", min: 0, max: app.limits.max_l2 });
    if (r.error) {
      setFieldError($("l2"), $("l2-error"), r.error);
      return;
    }
    setFieldError($("l2"), $("l2-error"), null);
    s().l2 = r.value;
    actions.applyHyperparameters({ l2: r.value });
  });
  $("epochs").addEventListener("change", () => {
    const r = readNumber($("epochs"), {
      name: "Stop at epoch",
      min: 1,
      max: app.limits.max_epochs,
      integer: true,
    });
    if (r.error) {
      setFieldError($("epochs"), $("epochs-error"), r.error);
      return;
    }
    setFieldError($("epochs"), $("epochs-error"), null);
    s().epochs = r.value;
    showEpochsHelp();
    actions.restartRun();
  });
  $("speed").addEventListener("change", (e) => {
    s().speed = Number(e.target.value);
    actions.applyHyperparameters({ epochs_per_second: s().speed });
    actions.showRunState();
  });
}

function bindShare() {
  $("copy-link").addEventListener("click", async () => {
    const link = currentLink(app.state);
    history.replaceState(null, "", link);
    try {
      await navigator.clipboard.writeText(link);
      $("copy-status").textContent = "Link copied: it reproduces the data, the network and the settings.";
    } catch {
      $("copy-status").textContent = `Copy this link: ${link}`;
    }
  });
}

/** On a phone the sidebar is a sheet: its head's buttons jump to a section. */
function bindJumps() {
  for (const button of document.querySelectorAll("[data-jump]"))
    button.addEventListener("click", () => $(button.dataset.jump).scrollIntoView({ block: "start" }));
}

export function bindSidebar() {
  bindJumps();
  bindData();
  bindNetwork();
  bindTraining();
  bindShare();
}

