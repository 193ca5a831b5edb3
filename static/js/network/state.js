// The network lesson's state: everything a shared link must reproduce, as plain
// data, and its form in the URL. The page renders from it.
//
//   ?ds=xor&n=200&noise=0.1&seed=0&test=0.2      a catalogue dataset, or
//   ?ds=own&task=classification&pts=1.5,-2,1;0.3,4.1,0   points drawn by hand (x₁, x₂, label)
//   &hidden=16,16&act=tanh&wseed=0
//   &opt=adam:lr=0.03:betas=0.9,0.99   (only what differs from torch's defaults)
//   &bs=16&l2=0.001&epochs=2000&speed=30&layer=2&dir=random&zlog=0&loss=linear

import { plain } from "../common/format.js";

export const OWN = "own"; // the dataset name for points drawn by hand
export const SPEEDS = [1, 3, 10, 30, 100, 300, 1000, 0]; // epochs a second; 0: as fast as it goes

export const DEFAULTS = {
  dataset: "spiral",
  n: 200,
  noise: 0.1,
  seed: 0, // the data's seed (Regenerate draws new points)
  testFraction: 0.2,
  points: null, // {x: [[x1, x2], …], y: […], task} when drawn by hand
  hidden: [16, 16],
  activation: "tanh",
  weightSeed: 0, // the starting weights' seed ("New weights")
  optimizer: "adam",
  params: { lr: 0.03 }, // hyperparameters that differ from the optimizer's defaults
  batchSize: null, // null: full batch
  l2: 0,
  epochs: 2000, // where a run stops
  speed: 30, // epochs a second while training (0: as fast as it goes)
  heatLayer: 1, // whose ∂L/∂W the heatmap shows (1 = input → first hidden layer)
  directions: "pca", // of the loss landscape
  logHeight: true, // landscape height is log₁₀ of the loss
  lossScale: "log", // the loss chart's axis: "log" or "linear"
};

export function defaultState() {
  return structuredClone(DEFAULTS);
}

/** Every hyperparameter: the state's own values over the optimizer's defaults. */
export function hyperparameters(state, optimizers) {
  const info = optimizers[state.optimizer];
  const out = {};
  for (const [name, spec] of Object.entries(info.hyperparameters))
    out[name] = name in state.params ? state.params[name] : spec.default;
  return out;
}

/** The dataset as a request body wants it: a catalogue spec or the points drawn by hand. */
export function datasetSpec(state) {
  if (state.points) return { ...state.points, test_fraction: state.testFraction };
  return {
    name: state.dataset,
    n: state.n,
    noise: state.noise,
    seed: state.seed,
    test_fraction: state.testFraction,
  };
}

/** Layer sizes [2, …hidden, 1] and the number of weights and biases. */
export function layerSizes(hidden) {
  return [2, ...hidden, 1];
}

export function parameterCount(hidden) {
  const sizes = layerSizes(hidden);
  let total = 0;
  for (let l = 1; l < sizes.length; l++) total += (sizes[l - 1] + 1) * sizes[l];
  return total;
}

/**
 * The resolution of each hidden unit's map (unit_resolution): as fine as a
 * budget of values per epoch message allows, since every hidden unit sends a
 * grid: 24 × 24 (the finest asked) for the default 32 units, 6 × 6 for 8 × 64;
 * 0 (no maps) where the server offers none (`most`, limits.max_unit_resolution).
 */
export const UNIT_VALUES = 20000;
export function unitResolution(hidden, most) {
  const units = hidden.reduce((a, b) => a + b, 0);
  if (!units || !(most > 0)) return 0;
  return Math.max(Math.min(4, most), Math.min(24, most, Math.floor(Math.sqrt(UNIT_VALUES / units))));
}

/** Training and test points of the dataset (the server's split: floor(n · test share) held out). */
export function splitSizes(state) {
  const n = state.points ? state.points.y.length : state.n;
  const test = Math.floor(n * state.testFraction);
  return { train: n - test, test };
}

// The server bounds the work of one request in weight × point evaluations
// (app/limits.py, passed to the page). These mirror its formulas (training_work in
// app/nets/train.py, work in gradcheck.py and landscape.py) so that the page can
// size a request to fit, or say in advance why it cannot; the server checks again.

/** The work of training `epochs` epochs (without the boundary, which a live run does not count). */
export function trainingWork(state, epochs) {
  const { train, test } = splitSizes(state);
  const minibatches = state.batchSize !== null; // then each epoch is also measured on the whole set
  return parameterCount(state.hidden) * epochs * (3 * train * (minibatches ? 2 : 1) + test);
}

/** The work of checking every weight by finite differences: 2P forward passes and backprop. */
export function gradcheckWork(state) {
  const P = parameterCount(state.hidden);
  return (2 * P + 3) * splitSizes(state).train * P;
}

/** The finest landscape grid (≤ `most`) that fits beside retraining `epochs` epochs; < 5 if none. */
export function landscapeResolution(state, limits, epochs, pathPoints, most) {
  const left = 0.95 * limits.max_network_work - trainingWork(state, epochs);
  const perPoint = parameterCount(state.hidden) * splitSizes(state).train;
  const points = left / perPoint - pathPoints;
  return Math.min(most, Math.floor(Math.sqrt(Math.max(0, points))));
}

/**
 * The most epochs a run of this network on this data may ask for: a bigger
 * network gets a shorter run rather than a refusal.
 */
export function epochsThatFit(state, limits) {
  const { train } = splitSizes(state);
  const byWork = Math.floor((0.99 * limits.max_network_work) / trainingWork(state, 1));
  const batches = state.batchSize === null ? 1 : Math.ceil(train / state.batchSize);
  const bySteps = Math.floor(limits.max_optimizer_steps / batches);
  return Math.min(limits.max_epochs, byWork, bySteps);
}

// ------------------------------------------------------------------ the URL

function enc(value) {
  return encodeURIComponent(value)
    .replace(/%2C/gi, ",")
    .replace(/%3A/gi, ":")
    .replace(/%3D/gi, "=")
    .replace(/%3B/gi, ";");
}

function encodeValue(value) {
  if (Array.isArray(value)) return value.map(plain).join(",");
  if (typeof value === "boolean") return value ? "1" : "0";
  return plain(value);
}

/** A coordinate or target of a drawn point, as the URL keeps it (2 decimals). */
export function round2(value) {
  return Math.round(value * 100) / 100;
}

/** The state as a query string (without "?"); defaults are left out to keep links short. */
export function encodeState(state) {
  const out = [];
  const put = (key, value) => out.push(`${key}=${enc(value)}`);
  if (state.points) {
    put("ds", OWN);
    put("task", state.points.task);
    put(
      "pts",
      state.points.x.map((p, i) => `${plain(p[0])},${plain(p[1])},${plain(state.points.y[i])}`).join(";"),
    );
  } else {
    put("ds", state.dataset);
    if (state.n !== DEFAULTS.n) put("n", String(state.n));
    if (state.noise !== DEFAULTS.noise) put("noise", plain(state.noise));
    if (state.seed !== DEFAULTS.seed) put("seed", String(state.seed));
  }
  if (state.testFraction !== DEFAULTS.testFraction) put("test", plain(state.testFraction));
  put("hidden", state.hidden.join(","));
  if (state.activation !== DEFAULTS.activation) put("act", state.activation);
  if (state.weightSeed !== DEFAULTS.weightSeed) put("wseed", String(state.weightSeed));
  const opt = [state.optimizer, ...Object.entries(state.params).map(([k, v]) => `${k}=${encodeValue(v)}`)];
  put("opt", opt.join(":"));
  if (state.batchSize !== DEFAULTS.batchSize) put("bs", String(state.batchSize));
  if (state.l2 !== DEFAULTS.l2) put("l2", plain(state.l2));
  if (state.epochs !== DEFAULTS.epochs) put("epochs", String(state.epochs));
  if (state.speed !== DEFAULTS.speed) put("speed", String(state.speed));
  if (state.heatLayer !== DEFAULTS.heatLayer) put("layer", String(state.heatLayer));
  if (state.directions !== DEFAULTS.directions) put("dir", state.directions);
  if (state.logHeight !== DEFAULTS.logHeight) put("zlog", state.logHeight ? "1" : "0");
  if (state.lossScale !== DEFAULTS.lossScale) put("loss", state.lossScale);
  return out.join("&");
}

function parseNumber(text) {
  const value = Number(text);
  return text !== "" && text !== null && Number.isFinite(value) ? value : null;
}

function parseOptimizer(text, optimizers, state, problems) {
  const [name, ...parts] = text.split(":");
  const info = optimizers[name];
  if (!info) {
    problems.push(`unknown optimizer “${name}”`);
    return;
  }
  const params = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    const spec = info.hyperparameters[key];
    if (!spec) {
      problems.push(`${info.title} has no setting “${key}”`);
      continue;
    }
    let value;
    if (spec.type === "boolean") value = raw === "1" || raw === "true";
    else if (spec.type === "pair") {
      const pair = raw.split(",").map(parseNumber);
      value = pair.length === 2 && pair.every((v) => v !== null) ? pair : null;
    } else value = parseNumber(raw);
    if (value === null) problems.push(`${key} “${raw}” is not a number`);
    else params[key] = value;
  }
  state.optimizer = name;
  state.params = params;
}

function parsePoints(text, task, limits, problems) {
  const x = [];
  const y = [];
  for (const item of text ? text.split(";") : []) {
    const values = item.split(",").map(parseNumber);
    const [a, b, label] = values;
    if (values.length !== 3 || values.some((v) => v === null)) {
      problems.push(`the drawn point “${item}” is not x₁,x₂,label`);
      continue;
    }
    if (task === "classification" && label !== 0 && label !== 1) {
      problems.push(`the drawn point “${item}” needs a label of 0 or 1`);
      continue;
    }
    x.push([a, b]);
    y.push(label);
  }
  return { x: x.slice(0, limits.max_points), y: y.slice(0, limits.max_points), task };
}

/**
 * The state from a query string over the defaults: `{state, problems}`, where
 * problems are the parts of the link that were not understood (shown to the
 * user rather than silently dropped).
 */
export function decodeState(search, { datasets, optimizers, limits }) {
  const q = new URLSearchParams(search);
  const state = defaultState();
  const problems = [];
  const num = (key, field, { min = -Infinity, max = Infinity, integer = false } = {}) => {
    if (!q.has(key)) return;
    const value = parseNumber(q.get(key));
    if (value === null || value < min || value > max || (integer && !Number.isInteger(value)))
      problems.push(`${key} “${q.get(key)}” is out of range`);
    else state[field] = value;
  };
  if (q.has("ds")) {
    const name = q.get("ds");
    if (name === OWN) {
      const task = q.get("task") === "regression" ? "regression" : "classification";
      state.points = parsePoints(q.get("pts"), task, limits, problems);
    } else if (datasets.some((d) => d.name === name)) state.dataset = name;
    else problems.push(`unknown dataset “${name}”`);
  }
  num("n", "n", { min: limits.min_points, max: limits.max_points, integer: true });
  num("noise", "noise", { min: 0, max: limits.max_noise });
  num("seed", "seed", { min: 0, max: 2 ** 32 - 1, integer: true });
  num("test", "testFraction", { min: 0, max: limits.max_test_fraction });
  if (q.has("hidden")) {
    const text = q.get("hidden");
    const units = text === "" ? [] : text.split(",").map(parseNumber);
    const ok =
      units.length <= limits.max_hidden_layers &&
      units.every((u) => u !== null && Number.isInteger(u) && u >= 1 && u <= limits.max_hidden_units);
    if (ok) state.hidden = units;
    else
      problems.push(
        `hidden layers “${text}” (up to ${limits.max_hidden_layers} layers of 1–${limits.max_hidden_units} units)`,
      );
  }
  if (q.has("act")) {
    const act = q.get("act");
    if (["tanh", "relu", "sigmoid", "linear"].includes(act)) state.activation = act;
    else problems.push(`unknown activation “${act}”`);
  }
  num("wseed", "weightSeed", { min: 0, max: 2 ** 32 - 1, integer: true });
  if (q.has("opt")) parseOptimizer(q.get("opt"), optimizers, state, problems);
  num("bs", "batchSize", { min: 1, max: limits.max_points, integer: true });
  num("l2", "l2", { min: 0, max: limits.max_l2 });
  num("epochs", "epochs", { min: 1, max: limits.max_epochs, integer: true });
  if (q.has("speed")) {
    const speed = parseNumber(q.get("speed"));
    if (SPEEDS.includes(speed)) state.speed = speed;
    else problems.push(`speed “${q.get("speed")}” (one of ${SPEEDS.join(", ")})`);
  }
  num("layer", "heatLayer", { min: 1, max: limits.max_hidden_layers + 1, integer: true });
  if (q.has("dir")) state.directions = q.get("dir") === "random" ? "random" : "pca";
  if (q.has("zlog")) state.logHeight = q.get("zlog") !== "0";
  if (q.has("loss")) {
    if (["log", "linear"].includes(q.get("loss"))) state.lossScale = q.get("loss");
    else problems.push(`loss axis “${q.get("loss")}” (log or linear)`);
  }
  state.heatLayer = Math.min(state.heatLayer, state.hidden.length + 1);
  return { state, problems };
}

let pending = null;

/** Write the state to the address bar (replaceState, at most every 150 ms), keeping its #anchor. */
export function writeUrl(state) {
  clearTimeout(pending);
  pending = setTimeout(() => {
    const url = `${location.pathname}?${encodeState(state)}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
  }, 150);
}

/** The link to this lesson, as of now. */
export function currentLink(state) {
  return `${location.origin}${location.pathname}?${encodeState(state)}`;
}
