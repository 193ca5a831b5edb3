// What the surface views draw, as Plotly traces and layouts: the surface in 3D,
// the map's contour or basin layer, the minima, and the hikers' small traces.
// surface-view.js draws them and moves the hikers.

const MINIMUM_GLOBAL = { symbol: "diamond", size: 6, color: "#ffd700", line: { color: "#000", width: 1 } };
const MINIMUM_LOCAL = { symbol: "diamond", size: 6, color: "#ffffff", line: { color: "#000", width: 1 } };

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

function finiteRange(z) {
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
 * Colour values for the mesh: z itself, or log10(z − zmin + δ) when the range is
 * huge (Rosenbrock), with colour-bar ticks labelled in f.
 */
function colourValues(z, [lo, hi], log, name = "f") {
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

export function minimaTraces(minima, z3d, zOffset) {
  const global = minima.filter((m) => m.global);
  const local = minima.filter((m) => !m.global);
  const traces = [];
  for (const [list, marker, name] of [
    [global, MINIMUM_GLOBAL, "global minimum"],
    [local, MINIMUM_LOCAL, "local minimum"],
  ]) {
    if (!list.length) continue;
    const text = list.map(
      (m) => `${name}<br>(${m.x.toPrecision(4)}, ${m.y.toPrecision(4)})<br>f = ${m.z.toPrecision(4)}`,
    );
    traces.push(
      z3d
        ? {
            type: "scatter3d",
            mode: "markers",
            x: list.map((m) => m.x),
            y: list.map((m) => m.y),
            z: list.map((m) => m.z + zOffset),
            marker,
            text,
            hoverinfo: "text",
            name,
          }
        : {
            type: "scatter",
            mode: "markers",
            x: list.map((m) => m.x),
            y: list.map((m) => m.y),
            marker: {
              ...marker,
              symbol: marker === MINIMUM_GLOBAL ? "star" : "diamond",
              size: marker === MINIMUM_GLOBAL ? 15 : 10,
              line: { color: "#000", width: 1 },
            },
            text,
            hoverinfo: "text",
            name,
          },
    );
  }
  return traces;
}

/** The 3D scene of a surface: the surface, its minima, the layout, and the scales the hikers need. */
export function scene3d({ surface, mesh, labels, logColour }) {
  const zRange = finiteRange(mesh.z);
  const [zlo, zhi] = zRange;
  // markers float a little above the surface so it does not hide half of them
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
  const layout = {
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    uirevision: "keep-camera",
    scene: {
      xaxis: { title: { text: L.x }, range: surface.x_range, autorange: false },
      yaxis: { title: { text: L.y }, range: surface.y_range, autorange: false },
      zaxis: { title: { text: L.z }, range: [zlo, zhi + (zhi - zlo) * 0.05], autorange: false },
      aspectmode: "manual",
      aspectratio: aspect,
      camera: { eye: { x: 1.3, y: -1.45, z: 0.95 } },
    },
  };

  return { zRange, zOffset, aspect, traces, layout };
}

/**
 * The map's two layers: the back (contours or basins, colour bar, drawn once)
 * and the front (minima; the hikers are added to it).
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
        ncontours: 26,
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
  // Both layers share fixed margins (no auto-expansion) so their axes line up exactly.
  const axes = (visible) => ({
    xaxis: {
      title: { text: visible ? L.x : "", standoff: 4 },
      range: surface.x_range,
      fixedrange: true,
      zeroline: false,
      visible,
    },
    yaxis: {
      title: { text: visible ? L.y : "", standoff: 4 },
      range: surface.y_range,
      fixedrange: true,
      zeroline: false,
      visible,
    },
  });
  const common = {
    margin: { l: 46, r: 74, t: 8, b: 38, autoexpand: false },
    showlegend: false,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    dragmode: false,
  };
  const layoutBack = { ...common, ...axes(true), hovermode: false };
  const layoutFront = { ...common, ...axes(false), hovermode: "closest" };
  return { back: background, front, layoutBack, layoutFront };
}

/** Per hiker a trail and a −∇f arrow, then one trace with every hiker's marker; indices from `first`. */
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
  const cones = hikers.map((h) => ({
    type: "cone",
    x: [],
    y: [],
    z: [],
    u: [],
    v: [],
    w: [],
    anchor: "tail",
    sizemode: "raw",
    colorscale: [
      [0, h.colour],
      [1, h.colour],
    ],
    showscale: false,
    hoverinfo: "skip",
    lighting: { ambient: 0.9 },
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
    traces: [...trails3d, ...cones, markers3d],
    idx: {
      trails: trails3d.map((_, i) => first + i),
      cones: cones.map((_, i) => first + n + i),
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
