// The surface page's sidebar pieces: the surface select, the hiker list with
// its verdict badges, and the speed slider's scale.

import { SPEED_MAX, SPEED_MIN } from "./state.js";

export const FORMULA_OPTION = "__formula__";

export function fillSurfaceSelect(select, catalogue) {
  select.replaceChildren(
    ...catalogue.map((s) => new Option(s.title, s.name)),
    new Option("Your own formula…", FORMULA_OPTION),
  );
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

/** Show each hiker's verdict from the server (converged, saddle, crawling…) as a badge in the list. */
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
