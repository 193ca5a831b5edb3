// A surface's preset (API.md, "Presets"): the hikers, start, steps, tolerance
// and camera whose run makes the surface's description come true. Switching
// surface loads it, unless the learner keeps their own hikers.

import { FAN_COLOURS, PALETTE, hikerLabel, makeHiker } from "./state.js";

const NOT_PARAMS = new Set(["optimizer", "start", "label"]);

// A preset run plays in about this many seconds at the speed it sets.
const PLAY_SECONDS = 30;

/** A fan (one optimizer, rising learning rates) is coloured cool to hot, like the fan button's. */
function colours(runs) {
  const fan =
    runs.length === FAN_COLOURS.length &&
    runs.every((r) => r.optimizer === runs[0].optimizer) &&
    runs.every((r, i) => i === 0 || r.lr > runs[i - 1].lr);
  return runs.map((_, i) => (fan ? FAN_COLOURS[i] : PALETTE[i % PALETTE.length]));
}

const samePoint = (a, b) => a[0] === b[0] && a[1] === b[1];

/**
 * The state's hikers from the preset's runs: one shared start makes a race.
 * Hikers whose settings read alike keep the preset's label as their note
 * ("On the ridge", "Just off the ridge").
 */
export function presetHikers(preset, optimizers) {
  const palette = colours(preset.runs);
  const hikers = preset.runs.map((run, i) => {
    const params = Object.fromEntries(Object.entries(run).filter(([key]) => !NOT_PARAMS.has(key)));
    return makeHiker(run.optimizer, params, palette[i], [...run.start]);
  });
  const labels = hikers.map((h) => hikerLabel(h, optimizers));
  if (new Set(labels).size < labels.length) hikers.forEach((h, i) => (h.note = preset.runs[i].label || null));
  const race = preset.runs.every((run) => samePoint(run.start, preset.runs[0].start));
  if (race) hikers.forEach((h) => (h.start = null));
  return { hikers, race, start: race ? [...preset.runs[0].start] : null };
}

/** A speed (steps a second) that plays `maxSteps` in about PLAY_SECONDS, at least the usual 15. */
export function presetSpeed(maxSteps, { min, max }) {
  return Math.min(max, Math.max(min, Math.round(maxSteps / PLAY_SECONDS)));
}

/**
 * Load `entry`'s preset into `state`, except what `keep` names (the keys a link
 * gave: "h" hikers, "start", "steps", "tol", "cam", "speed"). Returns whether
 * the surface has a preset.
 */
export function applyPreset(state, entry, { keep = new Set(), speedBounds, optimizers }) {
  const preset = entry && entry.preset;
  if (!preset) return false;
  if (!keep.has("h")) {
    const { hikers, race, start } = presetHikers(preset, optimizers);
    state.hikers = hikers;
    state.selected = 0;
    state.race = race;
    if (!keep.has("start")) state.start = start;
    else {
      // a link's own start sends every hiker from there: notes such as "from the left" no longer hold
      state.race = true;
      hikers.forEach((h) => (h.note = null));
    }
  }
  if (!keep.has("steps")) state.maxSteps = preset.max_steps;
  if (!keep.has("tol")) state.tolerance = preset.tolerance;
  if (!keep.has("cam")) state.camera = preset.camera || null;
  if (!keep.has("speed")) state.speed = presetSpeed(state.maxSteps, speedBounds);
  return true;
}

/** "Expect: gradient descent crawling, momentum converged, …" for the description. */
export function expectText(preset, labels) {
  if (!preset || !preset.expect) return "";
  return preset.expect.map((word, i) => `${labels[i]}: ${word}`).join(" · ");
}
