// Where a hiker's marks go, worked out from the drawn surface `g` (a SurfaceView:
// its surface, mesh, zRange, zOffset, aspect and spans): how far its marker floats,
// its −∇f arrows on the map and on the surface, and whether it is inside the box.

import { heightAt } from "./surface-traces.js";

/**
 * How long to draw a gradient arrow, 0…1: full length on slopes typical of the
 * surface, shrinking as the ground flattens (so an arrow at a minimum, where
 * the direction is noise, all but vanishes).
 */
export function arrowScale(g, gx, gy) {
  const span = Math.max(
    g.surface.x_range[1] - g.surface.x_range[0],
    g.surface.y_range[1] - g.surface.y_range[0],
  );
  const typical = (0.05 * (g.zRange[1] - g.zRange[0])) / span;
  return Math.min(1, Math.sqrt(Math.hypot(gx, gy) / typical));
}

/** Direction of −∇f at a hiker, in data units, at most 9% of the map across. */
export function arrow2d(g, gx, gy) {
  const xs = g.surface.x_range[1] - g.surface.x_range[0];
  const ys = g.surface.y_range[1] - g.surface.y_range[0];
  const u = -gx / xs;
  const v = -gy / ys;
  const n = Math.hypot(u, v);
  if (!(n > 0) || !Number.isFinite(n)) return null;
  const len = 0.09 * arrowScale(g, gx, gy);
  if (len < 0.004) return null;
  return [(u / n) * len * xs, (v / n) * len * ys];
}

/**
 * A slim arrow along −∇f lying on the surface, lifted like the hiker: a shaft
 * and a V-shaped head, as one line (null separates them). Built in the 3D
 * box's own units so it looks the same on every surface.
 */
export function arrow3d(g, [x0, y0], [gx, gy]) {
  const xs = g.surface.x_range[1] - g.surface.x_range[0];
  const ys = g.surface.y_range[1] - g.surface.y_range[0];
  const a = g.aspect;
  const dir = [(-gx * a.x) / xs, (-gy * a.y) / ys];
  const n = Math.hypot(...dir);
  if (!(n > 0) || !Number.isFinite(n)) return null;
  const length = 0.16 * arrowScale(g, gx, gy);
  if (length < 0.01) return null;
  const [u, v] = [dir[0] / n, dir[1] / n];
  const lift = g.zOffset * 0.6;
  const X = [];
  const Y = [];
  const Z = [];
  // a point `along` the arrow and `side`ways of it (box units) → data, on the surface
  const put = (along, side) => {
    const x = x0 + ((along * u - side * v) * xs) / a.x;
    const y = y0 + ((along * v + side * u) * ys) / a.y;
    const z = heightAt(g.mesh, x, y);
    X.push(x);
    Y.push(y);
    Z.push(z === null ? null : z + lift);
    return z !== null;
  };
  const SHAFT = 8;
  for (let k = 0; k <= SHAFT; k++) if (!put((length * k) / SHAFT, 0)) return null;
  X.push(null);
  Y.push(null);
  Z.push(null);
  const head = 0.35 * length;
  if (!(put(length - head, 0.6 * head) && put(length, 0) && put(length - head, -0.6 * head))) return null;
  return { x: X, y: Y, z: Z };
}

/** Whether a point lies in the 3D box: a hiker that flew off is not drawn (it would squash the surface). */
export function inBox(g, x, y, z) {
  const [x0, x1] = g.surface.x_range;
  const [y0, y1] = g.surface.y_range;
  const [z0, z1] = g.zRange;
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && z >= z0 && z <= z1;
}

/**
 * How high a hiker's marker floats above the surface: a little always, and
 * above the ground close around it, so a hiker in a dip (Rastrigin, Easom's
 * hole) is not hidden by the dip's rim. A stem joins it to the ground.
 */
export function lift(g, x, y, z) {
  const radius = 0.04 * Math.max(...g.spans);
  let rim = z;
  for (const r of [radius / 2, radius])
    for (let k = 0; k < 8; k++) {
      const h = heightAt(g.mesh, x + r * Math.cos((k * Math.PI) / 4), y + r * Math.sin((k * Math.PI) / 4));
      if (h !== null && h > rim) rim = h;
    }
  return g.zOffset + (rim - z);
}
