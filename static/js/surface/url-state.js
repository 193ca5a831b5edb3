// The lesson in the URL: every control is written to the query string (replaceState,
// so the back button is not flooded) and read back on load, so a link reproduces it.
//
//   ?s=himmelblau                         a catalogue surface, or
//   ?f=x**2%2B3*y**2&xr=-3,3&yr=-3,3      your own formula and ranges
//   &start=-1,4&race=0&sel=1
//   &h=adam:lr=0.05:betas=0.9,0.99:c=e6194b[:at=x,y][:n=note]   one per hiker
//   &steps=1000&tol=0.0001&noise=0&seed=0&speed=40&logc=1&logl=0&view=basins
//   &cam=1.3,-1.45,0.95[,cx,cy,cz[,ux,uy,uz]]   the 3D camera: eye, centre, up
//   &keep=1                                    switching surface keeps these hikers
//   &step=40                                   a run paused at step 40 (the link runs it and shows that step)
//
// A link without hikers, steps, tolerance, camera or speed gets the surface's preset ones.

import { DEFAULTS, MAX_HIKERS, PALETTE, isFormula, makeHiker } from "./state.js";
import { plain } from "../common/format.js";
import { enc, linkWith, pair, parseNumber, parsePair, writeQuery } from "../common/url.js";

function encodeValue(value) {
  if (Array.isArray(value)) return value.map(plain).join(",");
  if (typeof value === "boolean") return value ? "1" : "0";
  return plain(value);
}

function encodeHiker(hiker, race) {
  const parts = [hiker.optimizer];
  for (const [name, value] of Object.entries(hiker.params)) parts.push(`${name}=${encodeValue(value)}`);
  parts.push(`c=${hiker.colour.replace("#", "")}`);
  if (!race && hiker.start) parts.push(`at=${pair(hiker.start)}`);
  // the note's own ":" and "," (and "%") escaped, so they do not split the hiker
  if (hiker.note) parts.push(`n=${hiker.note.replace(/[%:,]/g, (c) => encodeURIComponent(c))}`);
  return parts.join(":");
}

/** The state as a query string (without "?"). Defaults are left out to keep links short. */
export function encodeState(state) {
  const out = [];
  const put = (key, value) => out.push(`${key}=${enc(value)}`);
  if (isFormula(state.surface)) {
    put("f", state.surface.formula);
    put("xr", pair(state.surface.x_range));
    put("yr", pair(state.surface.y_range));
  } else {
    put("s", state.surface);
  }
  if (state.start) put("start", pair(state.start));
  if (state.race !== DEFAULTS.race) put("race", state.race ? "1" : "0");
  for (const hiker of state.hikers) put("h", encodeHiker(hiker, state.race));
  if (state.selected) put("sel", String(state.selected + 1));
  // always written: a link without them would get the surface's preset ones
  put("steps", String(state.maxSteps));
  put("tol", plain(state.tolerance));
  if (state.noise !== DEFAULTS.noise) put("noise", plain(state.noise));
  if (state.seed !== DEFAULTS.seed) put("seed", String(state.seed));
  if (state.speed !== DEFAULTS.speed) put("speed", plain(state.speed));
  if (state.logColour !== null) put("logc", state.logColour ? "1" : "0");
  if (state.logLoss !== DEFAULTS.logLoss) put("logl", state.logLoss ? "1" : "0");
  if (state.view !== DEFAULTS.view) put("view", state.view);
  if (state.camera) put("cam", encodeCamera(state.camera));
  if (state.keepHikers) put("keep", "1");
  if (state.step) put("step", String(state.step));
  return out.join("&");
}

const CAMERA_PARTS = ["eye", "center", "up"];
const DEFAULT_CAMERA = { center: { x: 0, y: 0, z: 0 }, up: { x: 0, y: 0, z: 1 } };
const round3 = (v) => plain(Number(v.toFixed(3)));

/** eye, then centre and up only where they differ from Plotly's defaults: "1.3,-1.45,0.95". */
function encodeCamera(camera) {
  const parts = CAMERA_PARTS.map((key) => camera[key] || DEFAULT_CAMERA[key]);
  const same = (a, b) => ["x", "y", "z"].every((c) => Math.abs(a[c] - b[c]) < 5e-4);
  let n = 3;
  if (!same(parts[2], DEFAULT_CAMERA.up)) n = 9;
  else if (!same(parts[1], DEFAULT_CAMERA.center)) n = 6;
  return parts
    .flatMap((p) => [p.x, p.y, p.z])
    .slice(0, n)
    .map(round3)
    .join(",");
}

/** "ex,ey,ez[,cx,cy,cz[,ux,uy,uz]]" → a Plotly camera, or null. */
export function decodeCamera(text) {
  const values = (text || "").split(",").map(parseNumber);
  if (![3, 6, 9].includes(values.length) || values.some((v) => v === null)) return null;
  const camera = structuredClone(DEFAULT_CAMERA);
  for (let i = 0; i < values.length; i += 3)
    camera[CAMERA_PARTS[i / 3]] = { x: values[i], y: values[i + 1], z: values[i + 2] };
  if (Math.hypot(camera.eye.x, camera.eye.y, camera.eye.z) === 0) return null;
  return camera;
}

function parseHiker(text, optimizers, index, problems) {
  const [name, ...parts] = text.split(":");
  const info = optimizers[name];
  if (!info) {
    problems.push(`hiker ${index + 1}: unknown optimizer “${name}”`);
    return null;
  }
  const hiker = makeHiker(name, {}, PALETTE[index % PALETTE.length]);
  for (const part of parts) {
    const eq = part.indexOf("=");
    const key = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    if (key === "c") {
      if (/^[0-9a-f]{6}$/i.test(raw)) hiker.colour = `#${raw.toLowerCase()}`;
    } else if (key === "at") {
      hiker.start = parsePair(raw);
    } else if (key === "n") {
      try {
        hiker.note = decodeURIComponent(raw).slice(0, 80) || null;
      } catch {
        problems.push(`hiker ${index + 1}: its note is not readable`);
      }
    } else if (key in info.hyperparameters) {
      const spec = info.hyperparameters[key];
      const kind = spec.type || typeof spec.default;
      let value;
      if (kind === "boolean") value = raw === "1" || raw === "true";
      else if (kind === "pair" || Array.isArray(spec.default)) value = parsePair(raw);
      else value = parseNumber(raw);
      if (value === null) problems.push(`hiker ${index + 1}: ${key} “${raw}” is not a number`);
      else hiker.params[key] = value;
    } else {
      problems.push(`hiker ${index + 1}: ${info.title} has no setting “${key}”`);
    }
  }
  return hiker;
}

/**
 * Read the state from a query string over `base` (the defaults). Returns
 * `{state, problems, given}`; problems are messages about parts of the link that
 * were ignored, shown to the user rather than silently dropped; `given` is the
 * set of keys the link set (the rest may come from the surface's preset).
 */
export function decodeState(search, base, { catalogue, optimizers }) {
  const q = new URLSearchParams(search);
  const state = structuredClone(base);
  const problems = [];
  const given = new Set();
  if (q.has("f")) {
    state.surface = {
      formula: q.get("f"),
      x_range: parsePair(q.get("xr")) || [-5, 5],
      y_range: parsePair(q.get("yr")) || [-5, 5],
    };
  } else if (q.has("s")) {
    const name = q.get("s");
    if (catalogue.some((s) => s.name === name)) state.surface = name;
    else problems.push(`unknown surface “${name}”`);
  }
  if (q.has("start")) {
    state.start = parsePair(q.get("start"));
    if (state.start) given.add("start");
    else problems.push(`start “${q.get("start")}” is not a point x,y`);
  }
  if (q.has("race")) state.race = q.get("race") !== "0";
  const hikers = q
    .getAll("h")
    .map((text, i) => parseHiker(text, optimizers, i, problems))
    .filter(Boolean);
  if (hikers.length) {
    state.hikers = hikers.slice(0, MAX_HIKERS);
    given.add("h");
  }
  const num = (key, field, { min = -Infinity, max = Infinity, integer = false } = {}) => {
    if (!q.has(key)) return;
    const value = parseNumber(q.get(key));
    if (value === null || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(`${key} “${q.get(key)}” is out of range`);
    } else {
      state[field] = value;
      given.add(key);
    }
  };
  num("steps", "maxSteps", { min: 1, max: 100000, integer: true });
  num("tol", "tolerance", { min: 0 });
  num("noise", "noise", { min: 0 });
  num("seed", "seed", { min: 0, integer: true });
  num("speed", "speed", { min: 0.1, max: 1e6 });
  num("step", "step", { min: 0, max: 100000, integer: true });
  if (q.has("sel")) {
    const sel = parseNumber(q.get("sel"));
    if (sel !== null && sel >= 1 && sel <= state.hikers.length) state.selected = sel - 1;
  }
  if (q.has("logc")) state.logColour = q.get("logc") === "1";
  if (q.has("logl")) state.logLoss = q.get("logl") === "1";
  if (q.has("view")) state.view = q.get("view") === "basins" ? "basins" : "contour";
  if (q.has("cam")) {
    state.camera = decodeCamera(q.get("cam"));
    if (state.camera) given.add("cam");
    else problems.push(`camera “${q.get("cam")}” is not 3, 6 or 9 numbers`);
  }
  if (q.has("keep")) state.keepHikers = q.get("keep") === "1";
  return { state, problems, given };
}

/** Write the state to the address bar, at most every 150 ms. */
export function writeUrl(state) {
  writeQuery(() => encodeState(state));
}

/** The link to this lesson, written now (for "copy link"). */
export function currentLink(state) {
  return linkWith(encodeState(state));
}
