// LaTeX typesetting with the vendored KaTeX (static/vendor/katex, loaded as a classic script).

/** Typeset `latex` into `element`; a formula KaTeX cannot parse is shown as source, never thrown. */
export function typeset(element, latex, { display = true } = {}) {
  if (!window.katex) {
    element.textContent = latex;
    return;
  }
  window.katex.render(latex, element, {
    displayMode: display,
    throwOnError: false,
    strict: "ignore",
    output: "htmlAndMathml", // the MathML copy is what a screen reader reads
  });
}
