// The learning rate's control on both pages: a logarithmic slider and a number
// box kept in step (#lr-slider, #lr-input, its message in #lr-error).

import { plain } from "./format.js";
import { readNumber, setFieldError } from "./fields.js";

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

/** Show `lr` in the slider (clamped to its range) and, unless it is being typed there, the box. */
export function showLearningRate(lr, { box = true } = {}) {
  const slider = document.getElementById("lr-slider");
  slider.value = String(Math.min(Number(slider.max), Math.max(Number(slider.min), lrToSlider(lr))));
  slider.setAttribute("aria-valuetext", `γ = ${plain(lr)}`);
  if (box) document.getElementById("lr-input").value = plain(lr);
}
