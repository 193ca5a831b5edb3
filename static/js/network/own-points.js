// Points drawn by hand: a click (or a tap) on the data plot adds one, in the
// colour chosen above the plot (Shift: the other colour) or, for regression,
// with the target typed beside it. The run starts again on the new data.

import { $, actions, app, showAlert } from "./app.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { neutralBoundary } from "./data-view.js";
import { showDataText, ownPointsFromRun } from "./sidebar.js";
import { OWN, round2 } from "./state.js";

/** A click on the data plot at data coordinates (x, y): add a point, if drawing. */
export function onDataClick([x, y], event) {
  const mode = document.querySelector('input[name="draw"]:checked').value;
  const s = app.state;
  const task = s.points ? s.points.task : app.info && app.info.task;
  if (mode === "off" || !task) return false;
  let label;
  if (task === "classification") label = event.shiftKey ? 1 - Number(mode) : Number(mode);
  else {
    const r = readNumber($("draw-target"), { name: "The target", min: -1e6, max: 1e6 });
    if (r.error) {
      setFieldError($("draw-target"), $("target-error"), r.error);
      return true;
    }
    setFieldError($("draw-target"), $("target-error"), null);
    label = round2(r.value);
  }
  if (!s.points) s.points = ownPointsFromRun();
  if (s.points.y.length >= app.limits.max_points) {
    showAlert(`At most ${app.limits.max_points} points.`);
    return true;
  }
  s.points.x.push([round2(x), round2(y)]);
  s.points.y.push(label);
  $("dataset").value = OWN;
  showDataText();
  actions.restartRun();
  return true;
}

/** Points drawn by hand that cannot be trained on yet (too few): shown all the same. */
export function drawPointsWithoutRun(resolution) {
  const { x, y, task } = app.state.points;
  const axis = Array.from({ length: resolution }, (_, i) => -6 + (12 * i) / (resolution - 1));
  const grid = { x: axis, y: axis };
  app.dataView.draw({
    task,
    train: { x, y },
    test: { x: [], y: [] },
    grid,
    boundary: neutralBoundary(task, grid),
  });
}
