// What each hidden unit computes: its activation at every point of the input
// plane (the grid of the decision boundary), drawn as a small map in place of
// the unit, as TensorFlow Playground does. Orange is a high activation, blue a
// low one: tanh from −1 to 1, sigmoid from 0 to 1; ReLU and linear units, which
// have no top, from their own largest |value| on the plane (0 is white).
//
// All maps are painted on one canvas laid over the diagram: each grid becomes
// an ImageData of res × res pixels, scaled up to the unit's square.

const LOW = [8, 119, 189]; // #0877bd
const MID = [244, 245, 246]; // #f4f5f6
const HIGH = [245, 147, 34]; // #f59322

/** The value range a unit's colours span: [lo, hi], with the middle colour halfway. */
export function mapRange(grid, activation) {
  if (activation === "tanh") return [-1, 1];
  if (activation === "sigmoid") return [0, 1];
  let m = 0;
  for (const row of grid) for (const v of row) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
  return [-(m || 1), m || 1];
}

function colour(v, lo, hi) {
  if (v === null) return MID;
  const t = Math.max(-1, Math.min(1, (2 * (v - lo)) / (hi - lo) - 1));
  const end = t >= 0 ? HIGH : LOW;
  const a = Math.abs(t);
  return [0, 1, 2].map((k) => Math.round(MID[k] + (end[k] - MID[k]) * a));
}

/** A grid (rows are x₂ from low to high, as for the boundary) as an image, x₂ up. */
function gridImage(grid, activation) {
  const rows = grid.length;
  const cols = grid[0].length;
  const [lo, hi] = mapRange(grid, activation);
  const image = new ImageData(cols, rows);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = colour(grid[r][c], lo, hi);
      const k = 4 * ((rows - 1 - r) * cols + c);
      image.data[k] = R;
      image.data[k + 1] = G;
      image.data[k + 2] = B;
      image.data[k + 3] = 255;
    }
  return image;
}

const scratch = document.createElement("canvas");

/** Paint `grid` into the square (x, y, size) of a 2D context, smoothed, with a thin frame. */
export function paintMap(ctx, grid, activation, x, y, size) {
  const image = gridImage(grid, activation);
  scratch.width = image.width;
  scratch.height = image.height;
  scratch.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, x, y, size, size);
  ctx.strokeStyle = "#1d2330";
  ctx.lineWidth = size > 12 ? 1 : 0.6;
  ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
}

export class UnitMaps {
  constructor() {
    this.units = null;
    this.activation = null;
    this.canvas = null;
    this.cost = 0; // ms to paint every map once (the controller paces updates by it)
  }

  /** Paint on `canvas`, `width` × `height` CSS pixels, units placed as in `columns`. */
  attach(canvas, { width, height, columns }) {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    this.canvas = canvas;
    this.dpr = dpr;
    this.columns = columns;
  }

  clear() {
    this.units = null;
    this.redraw();
  }

  set(units, activation) {
    this.units = units;
    this.activation = activation;
    this.redraw();
  }

  /** The grid of hidden unit i of column c (1 = the first hidden layer), or null. */
  grid(c, i) {
    const layer = this.units && this.units[c - 1];
    return (layer && layer[i]) || null;
  }

  redraw() {
    if (!this.canvas) return;
    const started = performance.now();
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.units) return;
    this.units.forEach((layer, l) => {
      const col = this.columns[l + 1];
      if (!col || col.side < 5) return; // too small to read: the hover shows it
      layer.forEach((grid, i) => {
        if (!grid || i >= col.ys.length) return;
        const s = col.side;
        paintMap(ctx, grid, this.activation, col.x - s / 2, col.ys[i] - s / 2, s);
      });
    });
    const cost = performance.now() - started;
    this.cost = this.cost ? 0.7 * this.cost + 0.3 * cost : cost;
  }
}
