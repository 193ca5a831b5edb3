// The network's output over the data plane, painted on a canvas under the data
// plot: what a Plotly heatmap with zsmooth "best" draws (the grid's values
// interpolated bilinearly at every pixel, then coloured), without asking Plotly
// to replot the figure. A heatmap restyle recomputes and redraws every trace
// (35–50 ms in headless Chromium), so a live run's boundary lagged; this repaint
// costs a millisecond or two and follows every update.
//
// The canvas lives in Plotly's own container, below its SVG layers: the points,
// the axes and the hover labels stay on top, as they were over the heatmap.

import { colourAt, rgb } from "../common/colour-scale.js";

const STEPS = 1024; // colours in the table: finer than a channel's 256 levels per half of the scale

/** [r, g, b] as one opaque canvas pixel (the canvas's byte order: r, g, b, a). */
function pixel([r, g, b]) {
  const one = new Uint32Array(1);
  new Uint8Array(one.buffer).set([r, g, b, 255]);
  return one[0];
}

/**
 * The colours of `scale` ([[0, "#rrggbb"], …, [1, "#rrggbb"]], interpolated in RGB as
 * Plotly does) at STEPS values, laid with `opacity` over `background`, as canvas pixels.
 */
function colourTable(scale, opacity, background) {
  const under = rgb(background);
  const stops = scale.map(([at, hex]) => [at, rgb(hex)]);
  const table = new Uint32Array(STEPS);
  for (let k = 0; k < STEPS; k++) {
    const colour = colourAt(stops, k / (STEPS - 1));
    table[k] = pixel(colour.map((v, ch) => Math.round(opacity * v + (1 - opacity) * under[ch])));
  }
  return table;
}

/** For each of `pixels` pixel centres along an axis of `cells` grid points: the grid point before it and how far past it. */
function spans(pixels, cells) {
  const before = new Int32Array(pixels);
  const past = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const at = ((p + 0.5) / pixels) * (cells - 1);
    before[p] = Math.min(Math.max(0, Math.floor(at)), Math.max(0, cells - 2));
    past[p] = cells > 1 ? Math.min(1, Math.max(0, at - before[p])) : 0;
  }
  return { before, past };
}

export class BoundaryImage {
  /** `scale` a Plotly colour scale of "#rrggbb" stops, laid with `opacity` over `background`. */
  constructor({ scale, opacity, background }) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "boundary-image";
    // placed by `place`, under Plotly's SVG (which takes the pointer)
    Object.assign(this.canvas.style, { position: "absolute", pointerEvents: "none" });
    this.context = this.canvas.getContext("2d");
    this.colours = colourTable(scale, opacity, background);
    this.empty = pixel(rgb(background)); // where the network's output is not finite (sent as null)
    this.z = null;
    this.range = [0, 1];
    this.image = null;
    this.columns = null;
    this.rows = null;
  }

  /** The values the colour scale spans (a new run's `zmin`, `zmax`). */
  setRange(zmin, zmax) {
    this.range = [zmin, zmax];
  }

  /**
   * Lay the canvas over `area` ({left, top, width, height} in CSS px of `container`),
   * below the container's other layers; repaint if its size changed.
   */
  place(container, area) {
    if (container.firstChild !== this.canvas) container.insertBefore(this.canvas, container.firstChild);
    const style = this.canvas.style;
    style.left = `${area.left}px`;
    style.top = `${area.top}px`;
    style.width = `${area.width}px`;
    style.height = `${area.height}px`;
    // sharp on a high-density screen, at most 2 canvas pixels per CSS pixel (4× the work)
    const density = Math.min(2, window.devicePixelRatio || 1);
    const width = Math.max(1, Math.round(area.width * density));
    const height = Math.max(1, Math.round(area.height * density));
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
      if (this.z) this.paint(this.z);
    }
  }

  /** Paint `z` (rows are x₂ from low to high, columns x₁ from low to high) over the whole canvas. */
  paint(z) {
    this.z = z;
    const { width, height } = this.canvas;
    const n = z.length ? z[0].length : 0;
    if (!n) return;
    if (!this.image || this.image.width !== width || this.image.height !== height) {
      this.image = this.context.createImageData(width, height);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    if (!this.columns || this.columns.before.length !== width || this.columnCells !== n) {
      this.columns = spans(width, n);
      this.columnCells = n;
      this.mixed = new Float64Array(n + 1);
    }
    if (!this.rows || this.rows.before.length !== height || this.rowCells !== z.length) {
      this.rows = spans(height, z.length);
      this.rowCells = z.length;
    }
    const { before: col, past: colPast } = this.columns;
    const { pixels, colours, mixed } = this;
    const [zmin, zmax] = this.range;
    const toStep = (STEPS - 1) / (zmax - zmin);
    const last = z.length - 1;
    let p = 0;
    for (let j = 0; j < height; j++) {
      // the grid's values at this height (canvas rows run down, the grid's x₂ up),
      // mixed from the two grid rows around it; then along the row, pixel by pixel
      const r = last - this.rows.before[j];
      const t = this.rows.past[j];
      const a = z[r];
      const b = z[Math.max(0, r - 1)];
      for (let i = 0; i < n; i++) mixed[i] = (a[i] ?? NaN) + t * ((b[i] ?? NaN) - (a[i] ?? NaN));
      mixed[n] = mixed[n - 1]; // a grid one point wide
      for (let i = 0; i < width; i++, p++) {
        const c = col[i];
        const v = mixed[c] + colPast[i] * (mixed[c + 1] - mixed[c]);
        const step = (v - zmin) * toStep;
        if (step > 0) pixels[p] = colours[step < STEPS - 1 ? Math.round(step) : STEPS - 1];
        else pixels[p] = Number.isNaN(step) ? this.empty : colours[0]; // NaN: a null nearby
      }
    }
    this.context.putImageData(this.image, 0, 0);
  }
}
