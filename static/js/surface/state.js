// The lesson's state: everything a shared link must reproduce, as plain data.
// The page renders from it; url-state.js writes it to and reads it from the URL.

export const PALETTE = [
  "#e6194b", // red
  "#ff8c00", // orange
  "#f032e6", // magenta
  "#00a8e8", // sky blue
  "#8b4513", // brown
  "#111111", // black
  "#2e8b57", // sea green
  "#9a6dd7", // lavender
  "#c9a500", // mustard
  "#ff69b4", // pink
  "#4363d8", // blue
  "#808000", // olive
];

// Colours for a learning-rate fan: cool (small steps) to hot (large steps).
export const FAN_COLOURS = ["#4363d8", "#00a8e8", "#2e8b57", "#ff8c00", "#e6194b"];

export const MAX_HIKERS = 12;

export const DEFAULTS = {
  surface: "himmelblau",
  start: null, // null: the surface's own lesson start
  race: true,
  maxSteps: 1000,
  tolerance: 1e-4,
  noise: 0,
  seed: 0,
  speed: 15, // animation steps per second
  logColour: null, // null: log colour where the surface's values span decades (Rosenbrock)
  logLoss: true,
  view: "contour", // or "basins"
  selected: 0,
  camera: null, // the 3D view's camera {eye, center, up}; null: the surface's preset one
  keepHikers: false, // switching surface keeps the hikers instead of loading its preset
};

export const SPEED_MIN = 1;
export const SPEED_MAX = 2000;

/**
 * A new hiker: an optimizer spec (only the hyperparameters that differ from
 * defaults), a colour, its own start (used when not racing) and a note that
 * tells it apart from a hiker with the same settings ("from the left").
 */
export function makeHiker(
  optimizer = "sgd",
  params = { lr: 0.01 },
  colour = PALETTE[0],
  start = null,
  note = null,
) {
  return { optimizer, params: { ...params }, colour, start, note };
}

export function defaultState(catalogue) {
  const surface = catalogue.some((s) => s.name === DEFAULTS.surface) ? DEFAULTS.surface : catalogue[0]?.name;
  return {
    ...DEFAULTS,
    surface,
    hikers: [makeHiker("sgd", { lr: 0.01 }, PALETTE[0])],
  };
}

export function nextColour(hikers) {
  const used = new Set(hikers.map((h) => h.colour.toLowerCase()));
  return PALETTE.find((c) => !used.has(c)) || PALETTE[hikers.length % PALETTE.length];
}

/** Every hyperparameter of a hiker: its own values over the optimizer's defaults. */
export function hyperparameters(hiker, optimizers) {
  const info = optimizers[hiker.optimizer];
  const out = {};
  for (const [name, spec] of Object.entries(info.hyperparameters)) {
    out[name] = name in hiker.params ? hiker.params[name] : spec.default;
  }
  return out;
}

/** The optimizer's name as a learner knows it: SGD without momentum is plain gradient descent. */
export function optimizerName(hiker, optimizers) {
  const h = hyperparameters(hiker, optimizers);
  if (hiker.optimizer === "sgd") {
    if (!h.momentum) return "Gradient descent";
    return h.nesterov ? "Nesterov momentum" : "Momentum";
  }
  return optimizers[hiker.optimizer].title;
}

/** "Momentum, γ = 0.001", and the hiker's note when it has one ("… — on the ridge"). */
export function hikerLabel(hiker, optimizers) {
  const lr = hyperparameters(hiker, optimizers).lr;
  const label = `${optimizerName(hiker, optimizers)}, γ = ${Number(lr.toPrecision(3))}`;
  return hiker.note ? `${label} — ${hiker.note}` : label;
}

const SHORT = { "Gradient descent": "GD" };

/** A shorter label for the hiker list: "GD γ = 0.01". */
export function shortLabel(hiker, optimizers) {
  const lr = hyperparameters(hiker, optimizers).lr;
  const name = optimizerName(hiker, optimizers);
  const label = `${SHORT[name] || name} γ = ${Number(lr.toPrecision(3))}`;
  return hiker.note ? `${label} — ${hiker.note}` : label;
}

/** The start point of hiker `i`: the shared one in a race, its own otherwise. */
export function startOf(state, i, surfaceInfo) {
  const hiker = state.hikers[i];
  if (!state.race && hiker.start) return hiker.start;
  return state.start || surfaceInfo.start;
}

/** The surface spec for request bodies: a catalogue name or a formula object. */
export function surfaceSpec(state) {
  return state.surface;
}

export function isFormula(surface) {
  return typeof surface === "object" && surface !== null;
}
