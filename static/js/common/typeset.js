// LaTeX typesetting with the vendored KaTeX (static/vendor/katex, loaded as a classic script).

import { fitToWidth } from "./fit.js";

/**
 * Typeset `latex` into `element`; a formula KaTeX cannot parse is shown as
 * source, never thrown. With `fit`, a formula wider than the element is shrunk
 * to fit it (fit.js).
 */
export function typeset(element, latex, { display = true, fit = false } = {}) {
  if (!window.katex) {
    element.textContent = latex;
  } else {
    window.katex.render(latex, element, {
      displayMode: display,
      throwOnError: false,
      strict: "ignore",
      output: "htmlAndMathml", // the MathML copy is what a screen reader reads
    });
  }
  if (fit) fitToWidth(element);
}
