// Choosing the surface: the catalogue select, and your own formula typed with
// its domain, checked by the API, its errors shown at the character they name.

import { $, actions, app, saveState } from "./app.js";
import { FORMULA_OPTION } from "./controls.js";
import { plain } from "../common/format.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { renderStart } from "./sidebar.js";

/** A typed formula as the page shows a surface: its LaTeX from the API, the minima the server found. */
export function surfaceInfoFor(spec, formulaReply, minima) {
  const [x0, x1] = spec.x_range;
  const [y0, y1] = spec.y_range;
  return {
    name: null,
    title: "Your formula",
    description: `f(x, y) = ${spec.formula}`,
    formula: spec.formula,
    latex: formulaReply.latex,
    gradient_latex: formulaReply.gradient_latex,
    x_range: spec.x_range,
    y_range: spec.y_range,
    minima,
    // a lesson start away from the centre, where simple formulas have their minimum
    start: [Number((x0 + 0.2 * (x1 - x0)).toPrecision(3)), Number((y1 - 0.25 * (y1 - y0)).toPrecision(3))],
  };
}

/** Show the formula error at its character: the formula with the culprit marked, then the message. */
export function showFormulaError(error, formula) {
  const box = $("formula-error");
  const input = $("formula-input");
  const d =
    error.detail && error.detail.find((e) => e.type === "formula_error" || e.type === "formula_too_complex");
  if (!d) return false;
  const pos = d.ctx && Number.isInteger(d.ctx.position) ? d.ctx.position : null;
  box.replaceChildren();
  if (pos !== null && formula.length) {
    const line = document.createElement("pre");
    line.className = "caret-line";
    line.setAttribute("aria-hidden", "true");
    const mark = document.createElement("mark");
    mark.textContent = formula[pos] ?? " ";
    line.append(formula.slice(0, pos), mark, formula.slice(pos + 1));
    box.append(line);
  }
  const text = document.createElement("p");
  text.style.margin = "0";
  text.textContent = d.msg;
  box.append(text);
  box.hidden = false;
  box.setAttribute("role", "alert");
  input.setAttribute("aria-invalid", "true");
  if (pos !== null && document.activeElement === input)
    input.setSelectionRange(pos, Math.min(pos + 1, formula.length));
  return true;
}

export function clearFormulaErrors() {
  setFieldError($("formula-input"), $("formula-error"), null);
  setFieldError([$("x-lo"), $("x-hi"), $("y-lo"), $("y-hi")], $("range-error"), null);
}

export function bindSurfaceForm() {
  const s = () => app.state;

  $("surface-select").addEventListener("change", async (event) => {
    const value = event.target.value;
    if (value === FORMULA_OPTION) {
      // start from the current surface's formula so there is something to edit
      const info = app.info;
      $("formula-form").hidden = false;
      $("surface-description").textContent =
        `Type your own cost below (here: ${info.title}'s, to edit), then “Plot this formula”.`;
      $("formula-input").value = info.formula;
      $("x-lo").value = plain(info.x_range[0]);
      $("x-hi").value = plain(info.x_range[1]);
      $("y-lo").value = plain(info.y_range[0]);
      $("y-hi").value = plain(info.y_range[1]);
      $("formula-input").focus();
      return;
    }
    $("formula-form").hidden = true;
    if (await actions.switchSurface(value)) renderStart();
  });

  $("formula-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormulaErrors();
    const formula = $("formula-input").value.trim();
    if (!formula) {
      setFieldError(
        $("formula-input"),
        $("formula-error"),
        "Type a formula in x and y first, for example x**2 + 3*y**2.",
      );
      return;
    }
    const ranges = [];
    for (const [axis, lo, hi] of [
      ["x", $("x-lo"), $("x-hi")],
      ["y", $("y-lo"), $("y-hi")],
    ]) {
      const a = readNumber(lo, { name: `${axis} range, low end` });
      const b = readNumber(hi, { name: `${axis} range, high end` });
      const problem =
        a.error ||
        b.error ||
        (a.value >= b.value
          ? `${axis} range: the low end (${lo.value}) must be less than the high end (${hi.value}).`
          : null);
      if (problem) {
        setFieldError([lo, hi], $("range-error"), problem);
        return;
      }
      ranges.push([a.value, b.value]);
    }
    const previous = { surface: s().surface, camera: s().camera, logColour: s().logColour };
    // a new surface: the default camera and colour scale, the learner's own hikers
    s().surface = { formula, x_range: ranges[0], y_range: ranges[1] };
    s().camera = null;
    s().logColour = null;
    if (await actions.loadSurface()) {
      s().start = null;
      s().hikers.forEach((h) => (h.start = null));
      app.presetShown = false;
      actions.showPresetNote();
      saveState();
      renderStart();
      actions.resetRun();
    } else {
      Object.assign(s(), previous); // the lesson stays on the surface still drawn
    }
  });
  $("formula-input").addEventListener("input", () => {
    if (!$("formula-error").hidden) setFieldError($("formula-input"), $("formula-error"), null);
  });
}
