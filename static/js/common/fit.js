// Fitting typeset maths to its box: a formula wider than its box is shrunk
// (down to MIN_SCALE of its size) so it never overflows; one that is still too
// wide scrolls, with a visible scrollbar. Boxes are refitted when they resize.

const MIN_SCALE = 0.6;
const fitted = new Set();
let observer = null;

/** Shrink `element`'s content to its width (after the content changed). */
export function fitToWidth(element) {
  element.style.fontSize = "";
  let scale = 1;
  // not every part of the maths scales with the font (rules, spacing): measure again
  for (let tries = 0; tries < 4; tries++) {
    const available = element.clientWidth;
    const needed = element.scrollWidth;
    if (!(available > 0 && needed > available) || scale <= MIN_SCALE) break;
    scale = Math.max(MIN_SCALE, scale * (available / needed) * 0.98);
    element.style.fontSize = `${scale}em`;
  }
  watch(element);
}

// KaTeX's fonts arrive after the first measure and make the maths wider: measure again.
if (document.fonts) document.fonts.addEventListener("loadingdone", () => fitted.forEach(fitToWidth));

function watch(element) {
  if (fitted.has(element) || !window.ResizeObserver) return;
  fitted.add(element);
  observer = observer || new ResizeObserver((entries) => refit(entries.map((e) => e.target)));
  observer.observe(element);
}

// A resize refits each box once per frame; the width it observed is what counts.
const pending = new Set();
function refit(elements) {
  const first = pending.size === 0;
  elements.forEach((el) => pending.add(el));
  if (!first) return;
  requestAnimationFrame(() => {
    const boxes = [...pending];
    pending.clear();
    for (const el of boxes) {
      const width = el.clientWidth;
      if (el.dataset.fittedWidth === String(width)) continue;
      el.dataset.fittedWidth = String(width);
      fitToWidth(el);
    }
  });
}
