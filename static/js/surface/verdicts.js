// The server's verdicts (API.md, "Verdicts") in a learner's words. The server
// says what happened to each hiker; the page only words it.

import { fmt } from "../common/format.js";

const HINTS = {
  converged: "settled at a minimum: the ground is flat and curves up all around",
  saddle: "stopped on a saddle: the ground is flat, but curves down in one direction — not a minimum",
  maximum: "stopped on a hilltop: the ground is flat and curves down all around",
  crawling: "still walking steadily downhill when the steps ran out: the steps are too small",
  oscillating: "bouncing back and forth without settling when the steps ran out: the steps are too large",
  diverged: "the steps grew until it flew off the map",
};

/** {word, hint} for a finished run (its end message), or null before it ends. */
export function describeVerdict(run) {
  if (!run || !run.verdict) return null;
  const parts = [HINTS[run.verdict] || run.verdict];
  const curvature = run.final && run.final.hessian_eigenvalues;
  if (curvature) parts.push(`curvatures there λ = ${fmt(curvature[0])}, ${fmt(curvature[1])}`);
  return { word: run.verdict, hint: parts.join("; ") };
}

/**
 * The minimum the server names for a finished run (`nearest_minimum`), and
 * whether the hiker reached it: it converged within 1% of the domain's span.
 */
export function minimumReached(run, span) {
  const m = run && run.nearest;
  if (!m) return null;
  return { ...m, reached: run.verdict === "converged" && m.distance <= 0.01 * span };
}
