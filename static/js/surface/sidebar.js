// The sidebar drawn from the state: every control's value, the hiker list, the
// selected hiker's editor and the start point.

import { $, actions, app, saveState } from "./app.js";
import { FORMULA_OPTION, renderHikerList, speedToSlider } from "./controls.js";
import { plain } from "../common/format.js";
import { showLearningRate } from "../common/learning-rate.js";
import { renderHyperFields } from "../common/optimizer-fields.js";
import { setFieldError } from "../common/fields.js";
import { MAX_HIKERS, hikerLabel, hyperparameters, isFormula, shortLabel, startOf } from "./state.js";

export function syncControls() {
  const s = app.state;
  $("surface-select").value = isFormula(s.surface) ? FORMULA_OPTION : s.surface;
  const form = $("formula-form");
  form.hidden = !isFormula(s.surface);
  if (isFormula(s.surface)) {
    $("formula-input").value = s.surface.formula;
    $("x-lo").value = plain(s.surface.x_range[0]);
    $("x-hi").value = plain(s.surface.x_range[1]);
    $("y-lo").value = plain(s.surface.y_range[0]);
    $("y-hi").value = plain(s.surface.y_range[1]);
  }
  $("log-colour").checked = Boolean(s.logColour); // until the surface is drawn: then its own default
  $("keep-hikers").checked = s.keepHikers;
  $("log-loss").checked = s.logLoss;
  $("race").checked = s.race;
  $("max-steps").value = String(s.maxSteps);
  $("tolerance").value = plain(s.tolerance);
  $("noise").value = plain(s.noise);
  $("seed").value = String(s.seed);
  $("speed").value = String(speedToSlider(s.speed));
  $("speed-out").textContent = `${s.speed} steps/s`;
  $(s.view === "basins" ? "view-basins" : "view-contour").checked = true;
  $("basin-info").hidden = s.view !== "basins";
  $("map-caption").textContent =
    s.view === "basins" ? "Basins — click to send a hiker" : "Map — click to set the start";
  renderHikers();
}

export function renderHikers() {
  const s = app.state;
  s.selected = Math.min(s.selected, s.hikers.length - 1);
  renderHikerList($("hiker-list"), s.hikers, {
    labels: s.hikers.map((h) => hikerLabel(h, app.optimizers)),
    shortLabels: s.hikers.map((h) => shortLabel(h, app.optimizers)),
    selected: s.selected,
    onSelect: (i) => {
      s.selected = i;
      renderHikers();
      actions.render();
      actions.renderEquation(true);
      actions.scheduleBasins();
      saveState();
    },
    onRemove: (i) => {
      s.hikers.splice(i, 1);
      if (s.selected >= i && s.selected > 0) s.selected -= 1;
      actions.hikersChanged();
    },
  });
  $("add-hiker").disabled = s.hikers.length >= MAX_HIKERS;
  $("add-hiker").title = s.hikers.length >= MAX_HIKERS ? `At most ${MAX_HIKERS} hikers` : "";
  renderEditor();
  renderStart();
}

function renderEditor() {
  const s = app.state;
  const hiker = s.hikers[s.selected];
  const info = app.optimizers[hiker.optimizer];
  const h = hyperparameters(hiker, app.optimizers);
  $("editor-legend").textContent = `Edit hiker ${s.selected + 1}`;
  $("optimizer-select").value = hiker.optimizer;
  $("optimizer-description").textContent = info.description;
  showLearningRate(h.lr);
  $("hiker-colour").value = hiker.colour;
  renderHyperFields($("hyper-fields"), info, hiker.params);
  setFieldError($("lr-input"), $("lr-error"), null);
  setFieldError(null, $("hyper-error"), null);
}

export function renderStart() {
  const s = app.state;
  if (!app.info) return;
  const p = startOf(s, s.selected, app.info);
  $("start-title").textContent =
    s.race || s.hikers.length === 1 ? "Start point" : `Start point of hiker ${s.selected + 1}`;
  $("start-x").value = plain(p[0]);
  $("start-y").value = plain(p[1]);
  setFieldError([$("start-x"), $("start-y")], $("start-error"), null);
}
