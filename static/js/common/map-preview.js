// The map's first look: its contour colours, minima and hikers painted on a canvas
// before plotly.js has run (running its 4.8 MB takes a second or more on a slow
// machine). It lies where the map Plotly draws over it will lie, to the same
// scale and in the same colours (surface-traces.js: MAP_MARGIN, one unit as long
// across as up, Viridis bands at contourLevels), so the real map simply sharpens it.

import { colourAt, rgb } from "./colour-scale.js";
import { MAP_MARGIN, colourValues, contourLevels, finiteRange, heightAt } from "./surface-traces.js";

// Plotly's Viridis: [position, colour]
const VIRIDIS = [
  [0, "#440154"],
  [0.06274509803921569, "#48186a"],
  [0.12549019607843137, "#472d7b"],
  [0.18823529411764706, "#424086"],
  [0.25098039215686274, "#3b528b"],
  [0.3137254901960784, "#33638d"],
  [0.3764705882352941, "#2c728e"],
  [0.4392156862745098, "#26828e"],
  [0.5019607843137255, "#21918c"],
  [0.5647058823529412, "#1fa088"],
  [0.6274509803921569, "#28ae80"],
  [0.6901960784313725, "#3fbc73"],
  [0.7529411764705882, "#5ec962"],
  [0.8156862745098039, "#84d44b"],
  [0.8784313725490196, "#addc30"],
  [0.9411764705882353, "#d8e219"],
  [1, "#fde725"],
].map(([t, hex]) => [t, rgb(hex)]);

/** Where the plot area of a map `width` × `height` lies: inside the margins, to scale, centred. */
export function plotArea(width, height, [xSpan, ySpan]) {
  const w = width - MAP_MARGIN.l - MAP_MARGIN.r;
  const h = height - MAP_MARGIN.t - MAP_MARGIN.b;
  const scale = Math.min(w / xSpan, h / ySpan);
  return {
    left: MAP_MARGIN.l + (w - xSpan * scale) / 2,
    top: MAP_MARGIN.t + (h - ySpan * scale) / 2,
    width: xSpan * scale,
    height: ySpan * scale,
  };
}

/**
 * Paint the first look of the map on `canvas` (sized `width` × `height` CSS
 * pixels): the contour bands of `mesh`, the minima (★ global, ◇ local) and the
 * hikers (`hikers`' colours) at `starts`.
 */
export function paintMapPreview(canvas, { width, height, surface, mesh, logColour, hikers, starts }) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext("2d");
  const [x0, x1] = surface.x_range;
  const [y0, y1] = surface.y_range;
  const area = plotArea(width, height, [x1 - x0, y1 - y0]);

  // the bands, pixel by pixel: the band of each pixel's value, coloured as Plotly fills it
  const values = { x: mesh.x, y: mesh.y, z: colourValues(mesh.z, finiteRange(mesh.z), logColour).values };
  const { start, end, size } = contourLevels(values.z);
  const levels = Math.round((end - start) / size) + 1;
  const bandColours = Array.from({ length: levels + 1 }, (_, band) => colourAt(VIRIDIS, band / levels));
  const left = Math.round(area.left * dpr);
  const top = Math.round(area.top * dpr);
  const columns = Math.max(1, Math.round(area.width * dpr));
  const rows = Math.max(1, Math.round(area.height * dpr));
  const image = context.createImageData(columns, rows);
  for (let j = 0; j < rows; j++) {
    const y = y1 - ((j + 0.5) / rows) * (y1 - y0);
    for (let i = 0; i < columns; i++) {
      const value = heightAt(values, x0 + ((i + 0.5) / columns) * (x1 - x0), y);
      if (value === null) continue; // not finite there: left clear
      const band = Math.min(levels, Math.max(0, Math.floor((value - start) / size) + 1));
      const [r, g, b] = bandColours[band];
      const at = 4 * (j * columns + i);
      image.data[at] = r;
      image.data[at + 1] = g;
      image.data[at + 2] = b;
      image.data[at + 3] = 255;
    }
  }
  context.putImageData(image, left, top);

  context.scale(dpr, dpr);
  const pixel = (x, y) => [
    area.left + ((x - x0) / (x1 - x0)) * area.width,
    area.top + ((y1 - y) / (y1 - y0)) * area.height,
  ];
  const inside = (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  for (const minimum of surface.minima || []) {
    if (!inside(minimum.x, minimum.y)) continue;
    const [px, py] = pixel(minimum.x, minimum.y);
    if (minimum.global) {
      outline(context, star(px, py, 11, 4.5));
      paint(context, "#ffd700", "#000", 1);
    } else {
      outline(context, diamond(px, py, 6));
      paint(context, null, "#fff", 2);
    }
  }
  starts.forEach(([x, y], k) => {
    if (!inside(x, y)) return;
    const [px, py] = pixel(x, y);
    context.beginPath();
    context.arc(px, py, 6.5, 0, 2 * Math.PI);
    paint(context, hikers[k].colour, "#fff", 2);
  });
}

function outline(context, points) {
  context.beginPath();
  points.forEach(([x, y], k) => (k ? context.lineTo(x, y) : context.moveTo(x, y)));
  context.closePath();
}

function paint(context, fill, stroke, lineWidth) {
  if (fill) {
    context.fillStyle = fill;
    context.fill();
  }
  context.lineWidth = lineWidth;
  context.strokeStyle = stroke;
  context.stroke();
}

function star(x, y, outer, inner) {
  return Array.from({ length: 10 }, (_, k) => {
    const radius = k % 2 ? inner : outer;
    const angle = (k * Math.PI) / 5 - Math.PI / 2;
    return [x + radius * Math.cos(angle), y + radius * Math.sin(angle)];
  });
}

function diamond(x, y, radius) {
  return [
    [x, y - radius],
    [x + radius, y],
    [x, y + radius],
    [x - radius, y],
  ];
}
