// The server's verdict on a training run, in a learner's words. The server
// decides (API.md, "Networks: verdicts…"); the page only says it.

export const VERDICTS = {
  converged: {
    label: "converged",
    say: "the loss has settled; more epochs change little.",
  },
  learning: { label: "learning", say: "the loss is still falling." },
  stalled: {
    label: "stalled",
    say: "flat and far from fitted: the steps barely move it (too small a rate, or vanishing gradients).",
  },
  unstable: {
    label: "unstable",
    say: "the loss jumps up and down: the learning rate is too large.",
  },
  diverged: {
    label: "diverged",
    say: "the loss stopped being finite: the learning rate is far too large.",
  },
};

/** {label, say} for a verdict name, or null for none (or one this page does not know). */
export function verdictWords(verdict) {
  return VERDICTS[verdict] || null;
}

/** A verdict badge: a <span> with the verdict's class, for a status line or a fan's run. */
export function verdictBadge(verdict) {
  const span = document.createElement("span");
  const words = verdictWords(verdict);
  span.className = `verdict verdict-${verdict || "none"}`;
  span.textContent = words ? words.label : "—";
  span.dataset.verdict = verdict || "";
  return span;
}
