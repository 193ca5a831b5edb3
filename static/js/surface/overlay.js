// The marks the page draws over the views besides the hikers: the ghost path (the
// whole path the selected hiker would take) on the map and in 3D, and the
// optimizer's state at the selected hiker on the map (momentum's velocity, the
// per-coordinate step scale of AdaGrad, RMSProp and Adam).
//
// On the map they live in a plot of their own, stacked between the contour layer
// and the hikers' layer with the same axes, so redrawing them never touches the
// hikers' traces (and the hikers stay on top). In 3D the ghost is one more
// scatter3d trace at the end of the plot's data; the view rebuilds its plot when
// the hikers change, so `keep3d` puts the trace back when it went missing.

import { inBox } from "../common/hiker-marks.js";

// `Plotly` is plotly.js's global, read when drawing: surface/main.js runs plotly.js after the page's first look.
const GHOST_UID = "ghost-path";
const MAX_MAP_POINTS = 2000;
const MAX_3D_POINTS = 1000;
const STATE_INK = "#ffffff"; // the optimizer's marks: white reads on every part of Viridis but the top

/** Every `stride`-th point of a path (and its last), at most `max` points. */
function thinned(path, max) {
  const n = path.x.length;
  const stride = Math.max(1, Math.ceil(n / max));
  const x = [];
  const y = [];
  const z = [];
  for (let i = 0; i < n; i += stride) {
    x.push(path.x[i]);
    y.push(path.y[i]);
    z.push(path.z[i]);
  }
  if (n && (n - 1) % stride !== 0) {
    x.push(path.x[n - 1]);
    y.push(path.y[n - 1]);
    z.push(path.z[n - 1]);
  }
  return { x, y, z };
}

export class Overlay {
  /** `view` is the page's SurfaceView (its map element, layout and 3D plot). */
  constructor(view) {
    this.view = view;
    this.el = document.createElement("div");
    this.el.className = "map-layer map-overlay";
    this.el.setAttribute("aria-hidden", "true");
    view.elMap.insertBefore(this.el, view.mapFront);
    this.ghost = null; // {path, colour}
    this.marks = { velocity: null, box: null };
    this.layout = null;
    this.pending3d = null;
  }

  /** The ghost path of `colour` ({x, y, z} arrays), or null to clear it; resolves once drawn on the map. */
  setGhost(path, colour) {
    this.ghost = path ? { path: thinned(path, MAX_MAP_POINTS), full: path, colour } : null;
    this._schedule3d();
    return this.drawMap();
  }

  /** The optimizer's marks at the selected hiker: {velocity: [[x0, y0], [x1, y1]] | null, box: {x, y} | null}. */
  setMarks(marks) {
    const same = JSON.stringify(marks) === JSON.stringify(this.marks);
    this.marks = marks;
    return same ? Promise.resolve() : this.drawMap();
  }

  /** Draw the map layer (again), in the view's current axes. */
  drawMap() {
    if (!this.view.layoutMap) return Promise.resolve();
    if (this.layout !== this.view.layoutMap) {
      // a new surface: its axes, and no ghost from the old one
      this.layout = this.view.layoutMap;
      this.layoutCopy = structuredClone(this.layout);
    }
    const g = this.ghost;
    const { velocity, box } = this.marks;
    const traces = [
      {
        type: "scatter",
        mode: "lines",
        x: g ? g.path.x : [],
        y: g ? g.path.y : [],
        line: { color: g ? g.colour : "#000", width: 2 },
        opacity: 0.55,
        hoverinfo: "skip",
        name: "ghost path",
      },
      {
        // where it ends: a hollow ring in the hiker's colour
        type: "scatter",
        mode: "markers",
        x: g && g.path.x.length ? [g.path.x[g.path.x.length - 1]] : [],
        y: g && g.path.y.length ? [g.path.y[g.path.y.length - 1]] : [],
        marker: { symbol: "circle-open", size: 11, color: g ? g.colour : "#000", line: { width: 2 } },
        opacity: 0.8,
        hoverinfo: "skip",
        name: "ghost end",
      },
      {
        type: "scatter",
        mode: "lines",
        x: box ? box.x : [],
        y: box ? box.y : [],
        line: { color: STATE_INK, width: 2, dash: "dash" },
        fill: "toself",
        fillcolor: "rgba(255, 255, 255, 0.18)",
        hoverinfo: "skip",
        name: "step scale",
      },
      {
        type: "scatter",
        mode: "lines+markers",
        x: velocity ? [velocity[0][0], velocity[1][0]] : [],
        y: velocity ? [velocity[0][1], velocity[1][1]] : [],
        line: { color: STATE_INK, width: 3, dash: "dot" },
        marker: { symbol: ["circle", "arrow"], size: [0, 13], angleref: "previous", color: STATE_INK },
        hoverinfo: "skip",
        name: "velocity",
      },
    ];
    return Plotly.react(this.el, traces, this.layoutCopy, {
      staticPlot: true,
      displayModeBar: false,
      responsive: true,
    });
  }

  /** The points of the ghost drawn on the map now. */
  ghostPoints() {
    return this.el.data && this.el.data[0] ? this.el.data[0].x.length : 0;
  }

  // 3D costs hundreds of ms on software WebGL: it follows the ghost once it stops changing.
  _schedule3d() {
    clearTimeout(this.pending3d);
    this.pending3d = setTimeout(() => {
      this.pending3d = null;
      this.draw3d();
    }, 120);
  }

  /** The ghost as the 3D view draws trails: lifted a little, cut where it leaves the box. */
  _trace3d() {
    const v = this.view;
    const g = this.ghost;
    const x = [];
    const y = [];
    const z = [];
    if (g && v.surface) {
      const path = thinned(g.full, MAX_3D_POINTS);
      const lift = v.zOffset * 0.5; // as the view lifts the hikers' trails
      path.x.forEach((px, i) => {
        const py = path.y[i];
        const pz = path.z[i];
        const inside = pz !== null && inBox(v, px, py, pz);
        x.push(inside ? px : null);
        y.push(inside ? py : null);
        z.push(inside ? pz + lift : null);
      });
    }
    return { x, y, z, colour: g ? g.colour : "#000" };
  }

  draw3d() {
    const el = this.view.el3d;
    if (!el.data || !this.view.surface) return;
    const t = this._trace3d();
    const index = el.data.findIndex((trace) => trace.uid === GHOST_UID);
    if (index < 0) {
      Plotly.addTraces(el, {
        type: "scatter3d",
        mode: "lines",
        uid: GHOST_UID,
        x: t.x,
        y: t.y,
        z: t.z,
        opacity: 0.5,
        line: { color: t.colour, width: 4 },
        hoverinfo: "skip",
        name: "ghost path",
      }).catch(() => {});
    } else {
      Plotly.restyle(el, { x: [t.x], y: [t.y], z: [t.z], "line.color": t.colour }, [index]).catch(() => {});
    }
  }

  /** Put the 3D ghost back if the view rebuilt its plot without it. */
  keep3d() {
    const el = this.view.el3d;
    if (!this.ghost || this.pending3d || !el.data) return;
    if (!el.data.some((trace) => trace.uid === GHOST_UID)) this._schedule3d();
  }
}
