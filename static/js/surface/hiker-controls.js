// The hikers' controls: add one, the learning-rate fan, a race from one start,
// and the selected hiker's optimizer, learning rate, other hyperparameters and colour.

import { $, actions, app, hikerViews, saveState, status } from "./app.js";
import { fanLearningRates } from "./fan.js";
import { setFieldError } from "../common/fields.js";
import { showLearningRate, wireLearningRate } from "../common/learning-rate.js";
import { readHyperFieldsChecked } from "../common/optimizer-fields.js";
import { renderStart } from "./sidebar.js";
import { FAN_COLOURS, MAX_HIKERS, hyperparameters, makeHiker, nextColour, startOf } from "./state.js";

export function bindHikerControls() {
  const s = () => app.state;

  $("race").addEventListener("change", (e) => {
    const st = s();
    if (e.target.checked) {
      st.start = startOf(st, st.selected, app.info);
      st.hikers.forEach((h) => (h.start = null));
    } else {
      const shared = st.start || app.info.start;
      st.hikers.forEach((h) => (h.start = [...shared]));
    }
    st.race = e.target.checked;
    renderStart();
    if (st.race && st.hikers.some((h) => h.note)) {
      st.hikers.forEach((h) => (h.note = null)); // one start for all: "from the left" no longer holds
      actions.hikersChanged();
      return;
    }
    saveState();
    actions.restartOrReset();
  });

  $("add-hiker").addEventListener("click", () => {
    const st = s();
    if (st.hikers.length >= MAX_HIKERS) {
      setFieldError(null, $("hikers-error"), `At most ${MAX_HIKERS} hikers at once.`);
      return;
    }
    const base = st.hikers[st.selected];
    const hiker = makeHiker(
      base.optimizer,
      base.params,
      nextColour(st.hikers),
      base.start ? [...base.start] : null,
    );
    st.hikers.push(hiker);
    st.selected = st.hikers.length - 1;
    actions.hikersChanged();
  });

  $("fan").addEventListener("click", learningRateFan);

  $("optimizer-select").addEventListener("change", (e) => {
    const hiker = s().hikers[s().selected];
    const lr = hyperparameters(hiker, app.optimizers).lr;
    hiker.optimizer = e.target.value;
    // keep the learning rate only if the learner set one; else the new optimizer's default
    hiker.params = "lr" in hiker.params ? { lr } : {};
    actions.hikersChanged();
  });

  const applyLr = (value, source) => {
    const hiker = s().hikers[s().selected];
    hiker.params.lr = value;
    showLearningRate(value, { box: source !== "input" });
    setFieldError($("lr-input"), $("lr-error"), null);
    actions.hikersChanged();
  };
  wireLearningRate(applyLr);

  $("hyper-fields").addEventListener("change", () => {
    const hiker = s().hikers[s().selected];
    const params = readHyperFieldsChecked(app.optimizers[hiker.optimizer]);
    if (!params) return;
    const lr = hiker.params.lr;
    hiker.params = lr === undefined ? params : { lr, ...params };
    actions.hikersChanged();
  });

  $("hiker-colour").addEventListener("change", (e) => {
    s().hikers[s().selected].colour = e.target.value;
    actions.hikersChanged({ restart: false });
    app.charts.reset(hikerViews(), { logLoss: s().logLoss, tolerance: s().tolerance }).then(() => {
      app.lastSignature = "";
      actions.render();
    });
  });
}

/** Five hikers from one start, learning rates from too small to too large; then run them. */
async function learningRateFan() {
  const st = app.state;
  const base = st.hikers[st.selected];
  const h = hyperparameters(base, app.optimizers);
  const start = startOf(st, st.selected, app.info);
  $("fan").disabled = true;
  status("Choosing five learning rates…");
  try {
    const { lrs, basis } = await fanLearningRates({
      surface: st.surface,
      info: app.info,
      start,
      optimizer: base.optimizer,
      lr: h.lr,
      momentum: h.momentum,
    });
    const params = { ...base.params };
    st.hikers = lrs.map((lr, i) => makeHiker(base.optimizer, { ...params, lr }, FAN_COLOURS[i]));
    st.race = true;
    st.start = start;
    st.selected = 2;
    $("race").checked = true;
    $("fan-help").textContent =
      `Learning rates ${lrs.join(", ")} (${basis}). Each hiker is labelled by what happened to it.`;
    await actions.hikersChanged({ restart: false });
    actions.startRun({ play: true });
  } finally {
    $("fan").disabled = false;
  }
}
