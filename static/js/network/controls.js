// The network page's own form pieces: the hidden-layer list and the selects
// whose options depend on the catalogue or the state. (Input checking and the
// optimizer's hyperparameter fields are shared with the surface page: ../controls.js.)

import { plain } from "../common/format.js";
import { layerName } from "./grad-heatmap.js";
import { OWN, SPEEDS } from "./state.js";

export const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128];
export const TEST_SHARES = [0, 0.1, 0.2, 0.3, 0.4, 0.5];

export function fillDatasetSelect(select, datasets) {
  const groups = [
    ["classification", "Classify (two colours)"],
    ["regression", "Fit a surface (regression)"],
  ];
  select.replaceChildren(
    ...groups.map(([task, title]) => {
      const group = document.createElement("optgroup");
      group.label = title;
      group.append(...datasets.filter((d) => d.task === task).map((d) => new Option(d.title, d.name)));
      return group;
    }),
    new Option("Your own points (click the plot)", OWN),
  );
}

export function fillSpeedSelect(select) {
  select.replaceChildren(
    ...SPEEDS.map(
      (s) => new Option(s === 0 ? "as fast as it goes" : `${s} epoch${s === 1 ? "" : "s"}/s`, String(s)),
    ),
  );
}

/** Batch sizes offered, plus the state's own if a link asked for another. */
export function fillBatchSelect(select, batchSize) {
  const sizes = [...BATCH_SIZES];
  if (batchSize !== null && !sizes.includes(batchSize)) sizes.push(batchSize);
  sizes.sort((a, b) => a - b);
  select.replaceChildren(
    new Option("full batch", "full"),
    ...sizes.map((s) => new Option(String(s), String(s))),
  );
  select.value = batchSize === null ? "full" : String(batchSize);
}

export function fillTestShareSelect(select, share) {
  const shares = [...TEST_SHARES];
  if (!shares.includes(share)) shares.push(share);
  shares.sort((a, b) => a - b);
  select.replaceChildren(...shares.map((s) => new Option(`${Number((s * 100).toPrecision(3))}%`, plain(s))));
  select.value = plain(share);
}

export function fillLayerSelect(select, layers, selected) {
  select.replaceChildren(
    ...Array.from(
      { length: layers },
      (_, i) => new Option(`W${i + 1}: ${layerName(i + 1, layers)}`, String(i + 1)),
    ),
  );
  select.value = String(Math.min(selected, layers));
}

/**
 * The hidden layers as a list: a units field and a remove button per layer.
 * `onUnits(i, input)` on a changed field, `onRemove(i)` on remove.
 */
export function renderLayerList(ol, hidden, { maxUnits, onUnits, onRemove }) {
  ol.replaceChildren();
  if (!hidden.length) {
    const li = document.createElement("li");
    li.className = "layer-none";
    li.textContent =
      "No hidden layer: the output is a straight line through the inputs (logistic regression).";
    ol.append(li);
  }
  hidden.forEach((units, i) => {
    const li = document.createElement("li");
    li.className = "layer-item";
    const label = document.createElement("label");
    label.htmlFor = `units-${i}`;
    label.textContent = `Hidden layer ${i + 1}: units`;
    const input = document.createElement("input");
    input.type = "number";
    input.id = `units-${i}`;
    input.min = "1";
    input.max = String(maxUnits);
    input.step = "1";
    input.value = String(units);
    input.addEventListener("change", () => onUnits(i, input));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "small";
    remove.textContent = "✕";
    remove.title = "Remove this layer";
    remove.setAttribute("aria-label", `Remove hidden layer ${i + 1}`);
    remove.addEventListener("click", () => onRemove(i));
    li.append(label, input, remove);
    ol.append(li);
  });
}
