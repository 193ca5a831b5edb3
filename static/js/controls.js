// The sidebar's form pieces: selects filled from the API, the hiker list, the
// hyperparameter inputs built from GET /api/optimizers, and input checking with
// a specific, visible message next to the offending field.

import { plain } from "./format.js";
import { SPEED_MAX, SPEED_MIN } from "./state.js";

export const FORMULA_OPTION = "__formula__";

/** Show `message` under a field (or clear it with null); marks the inputs invalid for screen readers. */
export function setFieldError(inputs, box, message) {
  for (const input of [].concat(inputs)) {
    if (!input) continue;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  if (!box) return;
  box.hidden = !message;
  box.textContent = message || "";
  if (message) box.setAttribute("role", "alert");
}

/**
 * Read a number from an input and check it. Returns {value} or {error} with a
 * message that names the field and says what would be accepted.
 */
export function readNumber(
  input,
  { name, min = -Infinity, max = Infinity, integer = false, positive = false, exclusiveMax = false },
) {
  const text = input.value.trim();
  if (text === "") return { error: `${name}: type a number.` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `${name}: “${text}” is not a number.` };
  if (integer && !Number.isInteger(value)) return { error: `${name} must be a whole number (got ${text}).` };
  if (positive && value <= 0) return { error: `${name} must be greater than 0 (got ${text}).` };
  if (value < min) return { error: `${name} must be at least ${min} (got ${text}).` };
  if (exclusiveMax ? value >= max : value > max)
    return { error: `${name} must be ${exclusiveMax ? "below" : "at most"} ${max} (got ${text}).` };
  return { value };
}

export function fillSurfaceSelect(select, catalogue) {
  select.replaceChildren(
    ...catalogue.map((s) => new Option(s.title, s.name)),
    new Option("Your own formula…", FORMULA_OPTION),
  );
}

export function fillOptimizerSelect(select, optimizerList) {
  select.replaceChildren(
    ...optimizerList.map((o) => new Option(o.name === "sgd" ? "Gradient descent (SGD)" : o.title, o.name)),
  );
}

/** "momentum μ: how much…" → ["momentum μ", "how much…"]. */
function splitDescription(name, description) {
  const colon = description.indexOf(":");
  if (colon > 0 && colon < 40) return [description.slice(0, colon), description.slice(colon + 1).trim()];
  return [name.replace(/_/g, " "), description];
}

function kindOf(spec) {
  if (spec.type) return spec.type;
  if (typeof spec.default === "boolean") return "boolean";
  if (Array.isArray(spec.default)) return "pair";
  return "number";
}

/** Inputs for every hyperparameter of `info` except lr (which has its own slider). */
export function renderHyperFields(container, info, params) {
  container.replaceChildren();
  for (const [name, spec] of Object.entries(info.hyperparameters)) {
    if (name === "lr") continue;
    const kind = kindOf(spec);
    const value = name in params ? params[name] : spec.default;
    const [title, help] = splitDescription(name, spec.description || "");
    const id = `hp-${name}`;
    const helpId = `${id}-help`;
    let field;
    if (kind === "boolean") {
      field = document.createElement("div");
      field.className = "hyper-field check";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.id = id;
      input.checked = Boolean(value);
      input.dataset.hp = name;
      input.setAttribute("aria-describedby", helpId);
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = title;
      field.append(input, label);
    } else if (kind === "pair") {
      field = document.createElement("fieldset");
      field.className = "hyper-field pair";
      const legend = document.createElement("legend");
      legend.textContent = title;
      const row = document.createElement("div");
      row.className = "range-row";
      ["β₁", "β₂"].forEach((sym, part) => {
        const input = numberInput(`${id}-${part}`, value[part], spec, name, helpId);
        input.dataset.part = String(part);
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = name === "betas" ? sym : `${title} ${part + 1}`;
        row.append(label, input);
      });
      field.append(legend, row);
    } else {
      field = document.createElement("div");
      field.className = "hyper-field";
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = title;
      field.append(label, document.createElement("br"), numberInput(id, value, spec, name, helpId));
    }
    const hint = document.createElement("p");
    hint.className = "hint";
    hint.id = helpId;
    hint.textContent = help;
    field.append(hint);
    container.append(field);
  }
}

function numberInput(id, value, spec, name, helpId) {
  const input = document.createElement("input");
  input.type = "number";
  input.id = id;
  input.step = "any";
  if (spec.minimum !== null && spec.minimum !== undefined) input.min = String(spec.minimum);
  if (spec.maximum !== null && spec.maximum !== undefined) input.max = String(spec.maximum);
  input.value = plain(value);
  input.dataset.hp = name;
  input.setAttribute("aria-describedby", helpId);
  return input;
}

/**
 * The hyperparameters typed in `container`, checked against the optimizer's
 * ranges. Returns {params (only values that differ from the defaults), error, input}.
 */
export function readHyperFields(container, info) {
  const params = {};
  for (const [name, spec] of Object.entries(info.hyperparameters)) {
    if (name === "lr") continue;
    const kind = kindOf(spec);
    const inputs = [...container.querySelectorAll(`[data-hp="${name}"]`)];
    if (!inputs.length) continue;
    let value;
    if (kind === "boolean") {
      value = inputs[0].checked;
    } else if (kind === "pair") {
      value = [];
      for (const [part, input] of inputs.entries()) {
        const r = readNumber(input, {
          name: `${name === "betas" ? `β${part + 1}` : name}`,
          min: 0,
          max: 1,
          exclusiveMax: name === "betas",
        });
        if (r.error) return { error: r.error, input };
        value.push(r.value);
      }
    } else {
      const r = readNumber(inputs[0], {
        name: name.replace(/_/g, " "),
        min: spec.minimum ?? -Infinity,
        max: spec.maximum ?? Infinity,
      });
      if (r.error) return { error: r.error, input: inputs[0] };
      value = r.value;
    }
    if (JSON.stringify(value) !== JSON.stringify(spec.default)) params[name] = value;
  }
  // torch's rule, checked here so the message sits next to the fields
  if (params.nesterov && (!(params.momentum > 0) || (params.dampening || 0) !== 0)) {
    return {
      error: "Nesterov momentum needs a momentum above 0 and a dampening of 0.",
      input: container.querySelector('[data-hp="nesterov"]'),
    };
  }
  return { params };
}

/** The hiker list: a radio to pick the hiker to edit, its colour, label, verdict badge and a remove button. */
export function renderHikerList(ul, hikers, { labels, shortLabels, selected, onSelect, onRemove }) {
  ul.replaceChildren();
  hikers.forEach((hiker, i) => {
    const li = document.createElement("li");
    li.className = "hiker-item";
    li.classList.toggle("selected", i === selected);
    li.dataset.hiker = String(i);
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "hiker-select";
    radio.id = `hiker-select-${i}`;
    radio.value = String(i);
    radio.checked = i === selected;
    radio.setAttribute("aria-label", `Edit hiker ${i + 1}: ${labels[i]}`);
    radio.addEventListener("change", () => onSelect(i));
    const label = document.createElement("label");
    label.htmlFor = radio.id;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = hiker.colour;
    swatch.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = `${i + 1}. ${shortLabels[i]}`;
    name.title = labels[i];
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.hidden = true;
    label.append(swatch, name, badge);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", `Remove hiker ${i + 1} (${labels[i]})`);
    remove.title = "Remove this hiker";
    remove.disabled = hikers.length === 1;
    remove.addEventListener("click", () => onRemove(i));
    li.append(radio, label, remove);
    ul.append(li);
  });
}

/** Show each hiker's verdict (crawls / converges / oscillates / diverges) as a badge in the list. */
export function updateBadges(ul, verdicts) {
  ul.querySelectorAll(".hiker-item").forEach((li, i) => {
    const badge = li.querySelector(".badge");
    const v = verdicts[i];
    const word = v ? v.word : "";
    if (badge.dataset.verdict === word) return;
    badge.dataset.verdict = word;
    badge.textContent = word;
    badge.title = v ? v.hint : "";
    badge.hidden = !word;
  });
}

// The speed slider is logarithmic: 0..100 ↦ SPEED_MIN..SPEED_MAX steps per second.
export function sliderToSpeed(v) {
  return Math.round(SPEED_MIN * (SPEED_MAX / SPEED_MIN) ** (v / 100));
}

export function speedToSlider(speed) {
  return Math.round((100 * Math.log(speed / SPEED_MIN)) / Math.log(SPEED_MAX / SPEED_MIN));
}

// The learning-rate slider is log10(γ).
export function lrToSlider(lr) {
  return Math.log10(lr);
}

export function sliderToLr(v) {
  return Number((10 ** v).toPrecision(2));
}

/**
 * The learning rate's logarithmic slider and number box, kept in step. A valid
 * rate goes to `apply(lr, source)` ("slider" or "input"); a bad one gets its
 * message beside the box instead.
 */
export function wireLearningRate(apply) {
  const slider = document.getElementById("lr-slider");
  const input = document.getElementById("lr-input");
  slider.addEventListener("input", () => {
    input.value = plain(sliderToLr(Number(slider.value)));
  });
  slider.addEventListener("change", () => apply(sliderToLr(Number(slider.value)), "slider"));
  input.addEventListener("change", () => {
    const r = readNumber(input, { name: "The learning rate", positive: true, max: 1e6 });
    if (r.error) {
      const text =
        Number(input.value) < 0
          ? `The learning rate must be positive: it is the size of each step downhill (got ${input.value}).`
          : r.error;
      setFieldError(input, document.getElementById("lr-error"), text);
      return;
    }
    apply(r.value, "input");
  });
}

/** The hyperparameter inputs' values for `info`, or null after showing what is wrong. */
export function readHyperFieldsChecked(info) {
  const fields = document.getElementById("hyper-fields");
  const box = document.getElementById("hyper-error");
  const read = readHyperFields(fields, info);
  fields.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  if (read.error) {
    setFieldError(read.input, box, read.error);
    return null;
  }
  setFieldError(null, box, null);
  return read.params;
}
