// A task's checks, evaluated on what the learner's run produced (a result the page
// published, common/events.js). The vocabulary is the lesson schema's
// (app/lessons/schema.py, CHECKS); each check says what it asks for and, when it
// is not met, what is still missing, in plain words.
//
// On the surface page every check of a task must hold for one hiker (the one a
// check names with `hiker`, or any): the hiker that meets the most is the one the
// learner is told about.

import { fmt } from "../common/format.js";

const VERDICT_WORDS = {
  converged: "converged (settled at a minimum)",
  saddle: "stopped on a saddle point",
  maximum: "stopped on a hilltop",
  crawling: "crawling (still walking when its steps ran out)",
  oscillating: "oscillating (bouncing without settling)",
  diverged: "diverged (flew off)",
  learning: "still learning",
  stalled: "stalled (flat, and far from fitted)",
  unstable: "unstable (the loss thrashes or blows up)",
};

const percent = (x) => `${Math.round(x * 1000) / 10}%`;
const quoted = (words) => words.map((w) => `“${w}”`).join(" or ");
const who = (check, subject) => (check.hiker ? `hiker ${check.hiker}` : subject);

/** The largest-layer ratio of layer `layer` at its smallest over the records. */
function smallestRatio(records, layer) {
  let smallest = null;
  for (const record of records || []) {
    const norms = (record.layers || []).map((l) => l.weight_grad_norm);
    const mine = norms[layer - 1];
    const largest = Math.max(...norms);
    if (mine === undefined || !(largest > 0)) continue;
    const ratio = mine / largest;
    if (smallest === null || ratio < smallest) smallest = ratio;
  }
  return smallest;
}

// For each check: `wants(check)` says what it asks; `test(check, subject)` returns
// {met, missing}, where subject is a hiker (descent) or the whole result (others).
const CHECKS = {
  verdict: {
    wants: (c, page) =>
      page === "network"
        ? `the training's verdict is ${quoted(c.is_list)}`
        : `${who(c, "a hiker")}'s verdict is ${quoted(c.is_list)}`,
    test: (c, s) => ({
      met: c.is_list.includes(s.verdict),
      missing: s.verdict ? `it is “${VERDICT_WORDS[s.verdict] || s.verdict}”` : "no verdict yet",
    }),
  },
  global_minimum: {
    wants: (c) => `${who(c, "a hiker")} settles in a global minimum`,
    test: (c, s) => {
      const m = s.minimum;
      if (m && m.reached && m.global) return { met: true };
      if (s.verdict !== "converged") return { met: false, missing: `it did not settle: it is “${VERDICT_WORDS[s.verdict] || s.verdict}”` };
      if (m && m.reached) return { met: false, missing: `it settled in a local minimum, at (${fmt(m.x, 3)}, ${fmt(m.y, 3)}), not a global one` };
      return { met: false, missing: "it stopped, but not at a minimum" };
    },
  },
  steps_below: {
    wants: (c) => `${who(c, "it")} converges in fewer than ${c.steps} steps`,
    test: (c, s) => {
      if (s.status !== "converged") return { met: false, missing: `it did not converge within its ${s.steps} steps` };
      return s.steps < c.steps ? { met: true } : { met: false, missing: `it took ${s.steps} steps` };
    },
  },
  learning_rate: {
    wants: (c, page) => `${page === "network" ? "the" : `${who(c, "its")}`} learning rate is between ${fmt(c.min)} and ${fmt(c.max)}`,
    test: (c, s) =>
      s.lr >= c.min && s.lr <= c.max ? { met: true } : { met: false, missing: `the learning rate is ${fmt(s.lr)}` },
  },
  test_accuracy: {
    wants: (c) => `the test accuracy reaches ${percent(c.at_least)}`,
    test: (c, s) => {
      const a = s.test_accuracy;
      if (a === null || a === undefined) return { met: false, missing: "no test accuracy yet" };
      return a >= c.at_least ? { met: true } : { met: false, missing: `the test accuracy is ${percent(a)}` };
    },
  },
  gradient_ratio: {
    wants: (c) => `layer ${c.layer}'s gradient falls below ${percent(c.below)} of the largest layer's`,
    test: (c, s) => {
      const ratio = smallestRatio(s.records, c.layer);
      if (ratio === null) return { met: false, missing: `no gradient of layer ${c.layer} yet` };
      return ratio < c.below
        ? { met: true }
        : { met: false, missing: `layer ${c.layer}'s gradient was never below ${percent(ratio)} of the largest` };
    },
  },
  gradient_check: {
    wants: () => "run “Check the gradient now” (backprop beside nudging)",
    test: () => ({ met: true }),
  },
  backprop_walk: {
    wants: () => "walk one training point back to the first layer",
    test: (c, s) =>
      s.phase === "backward" && s.layer === 1 && s.step === s.steps - 1
        ? { met: true }
        : { met: false, missing: `the walk is at step ${s.step + 1} of ${s.steps}` },
  },
};

/** The checks of a task with their words: [{check, text}]. */
export function describeChecks(task, page) {
  return task.checks.map((check) => {
    const c = { ...check, is_list: check.is === undefined ? [] : [].concat(check.is) };
    return { check: c, text: CHECKS[check.check].wants(c, page) };
  });
}

/**
 * Evaluate `task` (from the API) on `result` (published by the page). Returns
 * {met, items: [{text, met}], subject: label of whom it is about, missing: [words]}.
 */
export function evaluate(task, page, result) {
  const checks = describeChecks(task, page);
  const subjects =
    result.kind === "descent"
      ? result.hikers.map((h, i) => ({ ...h, index: i + 1, label: `Hiker ${i + 1} (${h.label})` }))
      : [{ ...result, index: null, label: null }];
  let best = null;
  for (const subject of subjects) {
    const outcomes = checks.map(({ check }) =>
      check.hiker && subject.index !== check.hiker
        ? { met: false, missing: `it is not hiker ${check.hiker}` }
        : CHECKS[check.check].test(check, subject),
    );
    const score = outcomes.filter((o) => o.met).length;
    if (best === null || score > best.score) best = { subject, outcomes, score };
    if (score === checks.length) break;
  }
  if (best === null) return { met: false, items: checks.map((c) => ({ text: c.text, met: false })), subject: null, missing: ["there were no hikers"] };
  return {
    met: best.score === checks.length,
    items: checks.map((c, i) => ({ text: c.text, met: best.outcomes[i].met })),
    subject: best.subject.label,
    missing: best.outcomes.filter((o) => !o.met).map((o) => o.missing),
  };
}
