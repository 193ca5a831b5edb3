// What the surface views draw, as Plotly traces and layouts: the surface in 3D,
// the map's contour or basin layer, the minima (★ global, ◇ local, the same in
// both views and the legend), and the hikers' small traces.
// surface-view.js draws them and moves the hikers.

const GOLD = "#ffd700";

export const BASIN_COLOURS = [
  "#8dd3c7",
  "#ffffb3",
  "#bebada",
  "#fb8072",
  "#80b1d3",
  "#fdb462",
  "#b3de69",
  "#fccde5",
  "#bc80bd",
  "#ccebc5",
];
export const BASIN_NONE = "#d9d9d9";
export const BASIN_DIVERGED = "#4d4d4d";

// The camera when a surface has none of its own: high enough to see into a valley.
export const DEFAULT_CAMERA = {
  eye: { x: 1.15, y: -1.3, z: 1.15 },
  center: { x: 0, y: 0, z: -0.1 },
  up: { x: 0, y: 0, z: 1 },
};

export function finiteRange(z) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of z)
    for (const v of row)
      if (v !== null && Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
  if (!(lo < hi)) return [Number.isFinite(lo) ? lo - 1 : 0, Number.isFinite(lo) ? lo + 1 : 1];
  return [lo, hi];
}

/**
 * Whether the surface's values span decades, so a linear colour scale would
 * paint nearly all of it one colour (Rosenbrock): half the domain lies in the
 * lowest 7% of the range.
 */
export function spansDecades(z) {
  const [lo, hi] = finiteRange(z);
  const values = z.flat().filter((v) => v !== null && Number.isFinite(v));
  if (!values.length) return false;
  values.sort((a, b) => a - b);
  const median = values[Math.floor(values.length / 2)];
  return (median - lo) / (hi - lo) < 0.07;
}

/**
 * Colour values for the mesh: z itself, or log10(z − zmin + δ) when the range is
 * huge (Rosenbrock), with colour-bar ticks labelled in f.
 */
export function colourValues(z, [lo, hi], log, name = "f") {
  if (!log) return { values: z, colorbar: { title: { text: name, side: "right" } } };
  const delta = Math.max((hi - lo) * 1e-6, 1e-12);
  const t = (v) => Math.log10(v - lo + delta);
  const values = z.map((row) => row.map((v) => (v === null ? null : t(v))));
  const tickvals = [];
  const ticktext = [];
  for (let e = Math.ceil(Math.log10(delta)); e <= Math.log10(hi - lo + delta); e++) {
    tickvals.push(e);
    ticktext.push(`${Number((lo + 10 ** e).toPrecision(2))}`);
  }
  return {
    values,
    colorbar: { title: { text: `${name} (log)`, side: "right" }, tickvals, ticktext },
  };
}

/**
 * f on the mesh at (x, y), bilinear between the grid points (null off the grid
 * or where f is not finite): where the 3D view's arrow lies on the surface.
 */
export function heightAt(mesh, x, y) {
  const cell = (values, v) => {
    const n = values.length;
    const t = ((v - values[0]) / (values[n - 1] - values[0])) * (n - 1);
    if (!(t >= 0 && t <= n - 1)) return null;
    const i = Math.min(n - 2, Math.floor(t));
    return [i, t - i];
  };
  const cx = cell(mesh.x, x);
  const cy = cell(mesh.y, y);
  if (!cx || !cy) return null;
  const [j, u] = cx;
  const [i, v] = cy;
  const z = [mesh.z[i][j], mesh.z[i][j + 1], mesh.z[i + 1][j], mesh.z[i + 1][j + 1]];
  if (z.some((value) => value === null)) return null;
  return (1 - v) * ((1 - u) * z[0] + u * z[1]) + v * ((1 - u) * z[2] + u * z[3]);
}

/** The smallest of 1, 2, 5 × 10^k at least `least`: a tick step people read easily. */
function niceStep(least) {
  const decade = 10 ** Math.floor(Math.log10(least));
  return [1, 2, 5, 10].map((m) => m * decade).find((step) => step >= least * (1 - 1e-9));
}

// The map's contour levels: about this many, at a round step.
const CONTOUR_COUNT = 26;

/**
 * The contour levels of colour values `values` ({start, end, size}): a round step,
 * levels at its multiples inside the range (as Plotly would choose them), fixed
 * here so that the map's first look (map-preview.js) has the same bands.
 */
export function contourLevels(values) {
  const [lo, hi] = finiteRange(values);
  const size = niceStep((hi - lo) / CONTOUR_COUNT);
  let start = Math.ceil(lo / size) * size;
  let end = Math.floor(hi / size) * size;
  if (start === lo) start += size;
  if (end === hi) end -= size;
  if (start > end) start = end = (start + end) / 2;
  return { start, end, size };
}

/** ★ for global minima, ◇ for local ones, in the 3D view (lifted by `zOffset`) or on the map. */
export function minimaTraces(minima, z3d, zOffset) {
  const traces = [];
  for (const [global, name] of [
    [true, "global minimum"],
    [false, "local minimum"],
  ]) {
    const list = minima.filter((m) => Boolean(m.global) === global);
    if (!list.length) continue;
    const trace = {
      x: list.map((m) => m.x),
      y: list.map((m) => m.y),
      hovertext: list.map(
        (m) => `${name}<br>(${m.x.toPrecision(4)}, ${m.y.toPrecision(4)})<br>f = ${m.z.toPrecision(4)}`,
      ),
      hoverinfo: "text",
      name,
    };
    if (z3d) {
      // scatter3d has no star symbol: both marks are the legend's own glyphs, lifted less
      // than the hikers so a hiker that reached a minimum is drawn over its mark
      Object.assign(trace, {
        type: "scatter3d",
        mode: "text",
        z: list.map((m) => m.z + 0.3 * zOffset),
        text: list.map(() => (global ? "★" : "◇")),
        textfont: global ? { color: GOLD, size: 22 } : { color: "#ffffff", size: 15 },
      });
    } else {
      Object.assign(trace, {
        type: "scatter",
        mode: "markers",
        marker: global
          ? { symbol: "star", size: 16, color: GOLD, line: { color: "#000", width: 1 } }
          : { symbol: "diamond-open", size: 10, color: "#ffffff", line: { width: 2 } },
      });
    }
    traces.push(trace);
  }
  return traces;
}

/** The 3D scene of a surface: the surface, its minima, the layout, and the scales the hikers need. */
export function scene3d({ surface, mesh, labels, logColour, camera }) {
  const zRange = finiteRange(mesh.z);
  const [zlo, zhi] = zRange;
  // hikers, their trails and arrows float a little above the surface so it never hides them
  const zOffset = (zhi - zlo) * 0.03;
  const xs = surface.x_range[1] - surface.x_range[0];
  const ys = surface.y_range[1] - surface.y_range[0];
  const aspect = { x: 1, y: Math.min(2, Math.max(0.5, ys / xs)), z: 0.75 };
  const L = labels;
  const colour = colourValues(mesh.z, zRange, logColour, L.f);
  const surface3d = {
    type: "surface",
    x: mesh.x,
    y: mesh.y,
    z: mesh.z,
    surfacecolor: logColour ? colour.values : undefined,
    colorscale: "Viridis",
    showscale: false,
    hovertemplate: `${L.x} %{x:.3f}<br>${L.y} %{y:.3f}<br>${L.f} %{z:.4g}<extra></extra>`,
    contours: { z: { show: true, usecolormap: true, project: { z: false }, width: 1 } },
    name: "surface",
  };
  const traces = [surface3d, ...minimaTraces(surface.minima || [], true, zOffset)];
  // at most about seven ticks along the longest axis, fewer along a shorter one, so
  // labels never collide (the elongated bowl's short y axis); Plotly's nticks does not
  // thin a 3D axis, so the step is chosen here
  const axis = (title, range, length) => ({
    title: { text: title },
    range,
    autorange: false,
    tickmode: "linear",
    tick0: 0,
    dtick: niceStep((range[1] - range[0]) / Math.max(2, Math.round(7 * length))),
    tickfont: { size: 10 },
  });
  // room for the lifted hikers above, and below for a true minimum lower than the grid's lowest point
  const zTop = zhi + (zhi - zlo) * 0.08;
  const deepest = Math.min(zlo, ...(surface.minima || []).map((m) => m.z)); // a hole the grid misses (Easom)
  const zBottom = deepest - (zhi - zlo) * 0.02;
  const layout = {
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    // a new surface or camera applies its camera; redraws in between keep the learner's
    uirevision: JSON.stringify([surface.name || surface.formula || "", camera || null]),
    scene: {
      xaxis: axis(L.x, surface.x_range, aspect.x),
      yaxis: axis(L.y, surface.y_range, aspect.y),
      zaxis: axis(L.z, [zBottom, zTop], aspect.z),
      aspectmode: "manual",
      aspectratio: aspect,
      camera: structuredClone(camera || DEFAULT_CAMERA),
    },
  };
  return { zRange: [zBottom, zTop], zOffset, aspect, traces, layout };
}

// The map's margins, fixed so its two layers line up: room for ticks, titles and the colour bar.
export const MAP_MARGIN = { l: 46, r: 74, t: 8, b: 38 };

/**
 * The map's two layers: the back (contours or basins, colour bar, drawn once)
 * and the front (minima; the hikers are added to it). One unit is as long
 * across as up, so −∇f arrows cross the contours at right angles.
 */
export function mapLayers({ surface, mesh, labels, logColour, basins }) {
  const L = labels;
  const colour = colourValues(mesh.z, finiteRange(mesh.z), logColour, L.f);
  let background;
  if (basins) {
    background = [
      {
        type: "heatmap",
        x: basins.x,
        y: basins.y,
        z: basins.category,
        zmin: basins.zmin,
        zmax: basins.zmax,
        colorscale: basins.colorscale,
        showscale: false,
        text: basins.text,
        hoverinfo: "text",
        name: "basins",
      },
      {
        type: "contour",
        x: mesh.x,
        y: mesh.y,
        z: colour.values,
        ncontours: 18,
        contours: { coloring: "none" },
        line: { color: "rgba(0,0,0,0.35)", width: 1 },
        showscale: false,
        hoverinfo: "skip",
      },
    ];
  } else {
    background = [
      {
        type: "contour",
        x: mesh.x,
        y: mesh.y,
        z: colour.values,
        customdata: logColour ? mesh.z : undefined,
        hovertemplate: `${L.x} %{x:.3f}<br>${L.y} %{y:.3f}<br>${L.f} %{${logColour ? "customdata" : "z"}:.4g}<extra></extra>`,
        colorscale: "Viridis",
        autocontour: false,
        contours: contourLevels(colour.values),
        line: { width: 0.6, color: "rgba(255,255,255,0.35)" },
        colorbar: {
          ...colour.colorbar,
          thickness: 12,
          len: 0.95,
          outlinewidth: 0,
          x: 1.02,
          xanchor: "left",
          xpad: 0,
        },
        name: "contours",
      },
    ];
  }

  const front = minimaTraces(surface.minima || [], false, 0);
  // Both layers share fixed margins (no auto-expansion) and the same equal-scale
  // constraint, so their axes line up exactly.
  const axes = (visible) => ({
    xaxis: {
      title: { text: visible ? L.x : "", standoff: 4 },
      range: surface.x_range,
      fixedrange: true,
      zeroline: false,
      constrain: "domain",
      visible,
    },
    yaxis: {
      title: { text: visible ? L.y : "", standoff: 4 },
      range: surface.y_range,
      fixedrange: true,
      zeroline: false,
      scaleanchor: "x",
      scaleratio: 1,
      constrain: "domain",
      visible,
    },
  });
  const common = {
    margin: { ...MAP_MARGIN, autoexpand: false },
    showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    dragmode: false,
  };
  const layoutBack = { ...common, ...axes(true), hovermode: false };
  const layoutFront = { ...common, ...axes(false), hovermode: "closest" };
  return { back: background, front, layoutBack, layoutFront };
}

/**
 * Per hiker a trail and a slim −∇f arrow lying on the surface (one line trace:
 * shaft and head), then one trace with every hiker's marker; indices from `first`.
 */
export function hikerTraces3d(hikers, first) {
  const trails3d = hikers.map((h) => ({
    type: "scatter3d",
    mode: "lines",
    x: [],
    y: [],
    z: [],
    line: { color: h.colour, width: 5 },
    hoverinfo: "skip",
    name: h.label,
  }));
  const arrows = hikers.map((h) => ({
    type: "scatter3d",
    mode: "lines",
    x: [],
    y: [],
    z: [],
    connectgaps: false,
    line: { color: h.colour, width: 6 },
    hoverinfo: "skip",
    name: `${h.label}: −∇f`,
  }));
  const markers3d = {
    type: "scatter3d",
    mode: "markers",
    x: [],
    y: [],
    z: [],
    marker: { size: 9, color: hikers.map((h) => h.colour), line: { color: "#fff", width: 2 } },
    text: hikers.map((h) => h.label),
    hoverinfo: "text",
    name: "hikers",
  };
  const n = hikers.length;
  return {
    traces: [...trails3d, ...arrows, markers3d],
    idx: {
      trails: trails3d.map((_, i) => first + i),
      arrows: arrows.map((_, i) => first + n + i),
      markers: first + 2 * n,
    },
  };
}

/** The same for the map: trails, −∇f arrows, markers. */
export function hikerTracesMap(hikers, first) {
  const trailsMap = hikers.map((h) => ({
    type: "scatter",
    mode: "lines",
    x: [],
    y: [],
    line: { color: h.colour, width: 2.5 },
    hoverinfo: "skip",
    name: h.label,
  }));
  const arrows = hikers.map((h) => ({
    type: "scatter",
    mode: "lines+markers",
    x: [],
    y: [],
    line: { color: h.colour, width: 2.5 },
    marker: {
      symbol: ["circle", "arrow"],
      size: [0, 13],
      angleref: "previous",
      color: h.colour,
      line: { color: "#fff", width: 1 },
    },
    hoverinfo: "skip",
    name: `${h.label}: −∇f`,
  }));
  const markersMap = {
    type: "scatter",
    mode: "markers",
    x: [],
    y: [],
    marker: { size: 13, color: hikers.map((h) => h.colour), line: { color: "#fff", width: 2 } },
    text: hikers.map((h) => h.label),
    hoverinfo: "text",
    name: "hikers",
  };
  const n = hikers.length;
  return {
    traces: [...trailsMap, ...arrows, markersMap],
    idx: {
      trails: trailsMap.map((_, i) => first + i),
      arrows: arrows.map((_, i) => first + n + i),
      markers: first + 2 * n,
    },
  };
}
