// The optimizer's controls, built from GET /api/optimizers for both pages: the
// optimizer select and an input for every hyperparameter but lr (which has its
// own control, learning-rate.js), read back and checked against its range.

import { plain } from "./format.js";
import { readNumber, setFieldError } from "./fields.js";

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
