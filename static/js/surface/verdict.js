// What happened to a hiker, in a learner's words: crawls / converges / oscillates /
// diverges, and which minimum it reached.

/**
 * Share of steps in points [from, to) that turn back across the valley: some
 * coordinate reverses sign from the previous step and carries at least 30% of
 * the step (so a zig-zag across a long valley counts even while the hiker
 * also moves along it).
 */
function flipShare(path, from, to) {
  let flips = 0;
  let pairs = 0;
  for (let i = Math.max(2, from); i < to; i++) {
    const a = [path.x[i - 1] - path.x[i - 2], path.y[i - 1] - path.y[i - 2]];
    const b = [path.x[i] - path.x[i - 1], path.y[i] - path.y[i - 1]];
    const norm = Math.hypot(b[0], b[1]);
    if (!(norm > 0) || !(Math.hypot(a[0], a[1]) > 0)) continue;
    pairs += 1;
    if ([0, 1].some((c) => a[c] * b[c] < 0 && Math.abs(b[c]) >= 0.3 * norm)) flips += 1;
  }
  return pairs ? flips / pairs : 0;
}

/**
 * One word for what the run did, plus a hint. `run` = {status, steps, path}.
 * - diverges: it flew off (f, ∇f or the position stopped being finite, or left the box);
 * - converges: |∇f| fell below the tolerance;
 * - oscillates: bouncing back and forth (whether or not it settled in the end);
 * - crawls: out of steps, still walking steadily downhill (learning rate too small).
 */
export function verdict(run) {
  if (!run || !run.status) return null;
  if (run.status === "diverged")
    return { word: "diverges", hint: "the steps grew until it flew off the map" };
  if (run.status === "converged") {
    // A run that bounced across the valley before settling is the lesson of a
    // too-large step, so it is called out as oscillating.
    return flipShare(run.path, 0, Math.min(run.path.x.length, 14)) > 0.5
      ? { word: "oscillates", hint: `zig-zagged across the valley, then settled at step ${run.steps}` }
      : { word: "converges", hint: "settled where the slope is flat" };
  }
  const n = run.path.x.length;
  if (flipShare(run.path, n - 60, n) > 0.5)
    return { word: "oscillates", hint: "bouncing from side to side without settling" };
  return { word: "crawls", hint: "still walking downhill when the steps ran out" };
}

/** The minimum nearest to (x, y), whether it was reached (within 1% of the domain span). */
export function nearestMinimum(minima, [xRange, yRange], x, y) {
  if (!minima || !minima.length || !Number.isFinite(x) || !Number.isFinite(y)) return null;
  let best = null;
  for (const m of minima) {
    const d = Math.hypot(m.x - x, m.y - y);
    if (!best || d < best.distance) best = { ...m, distance: d };
  }
  const span = Math.max(xRange[1] - xRange[0], yRange[1] - yRange[0]);
  best.reached = best.distance <= 0.01 * span;
  return best;
}
