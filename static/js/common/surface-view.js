// The two views of the surface: the 3D plot and the map from above (contours or
// basins). Each is drawn once per surface change; during a run only the small
// hiker traces (trail, marker, gradient arrow) are updated; in 3D they float a
// little above the surface and are cut at the box, so they never hide or break it:
//   - map: two stacked plots with the same axes. The back one (contours or
//          basins, colour bar) is drawn once; the transparent front one holds
//          only scatter traces and is moved with Plotly.animate(redraw: false),
//          which recomputes just those traces. (Animating a plot that also holds
//          a contour or heatmap would drop those layers: Plotly's transition
//          path only redraws the animated trace types.)
//   - 3D:  one Plotly.restyle per update. A WebGL frame can be slow (software
//          rendering in headless browsers costs ~0.3 s), so 3D updates are paced
//          by their measured cost and never block the rest of the animation.
// The map comes first, the 3D view once the map is on screen; before plotly.js has
// run (`Plotly`, its global, is read only when drawing), preview() paints a still
// first look of the map (map-preview.js).
// The network page reuses it for a loss landscape, with its own axis names (`labels`).

import { paintMapPreview } from "./map-preview.js";
import { MAP_MARGIN, hikerTraces3d, hikerTracesMap, mapLayers, scene3d } from "./surface-traces.js";
import { arrow2d, arrow3d, inBox, lift } from "./hiker-marks.js";

export { BASIN_COLOURS, BASIN_DIVERGED, BASIN_NONE } from "./surface-traces.js";

/**
 * Resolves once the browser has painted what is drawn now: at once in a hidden tab,
 * and after 200 ms at most where no frames come (an iframe out of sight).
 */
function afterPaint() {
  return new Promise((resolve) => {
    if (document.hidden) return setTimeout(resolve, 0);
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 200);
  });
}

/** A performance mark the first time a milestone is reached (bench/bench_first_hiker.py reads them). */
function markOnce(name) {
  if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
}

const CONFIG = {
  displaylogo: false,
  responsive: true,
  modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"],
};

/** Axis names: the surface explorer's f(x, y) unless a page says otherwise. */
const LABELS = { x: "x", y: "y", f: "f", z: "f(x, y)" };

export class SurfaceView {
  constructor(el3d, elMap, { onMapClick = () => {}, onCamera = () => {}, hoverEl, labels = {} }) {
    this.labels = { ...LABELS, ...labels };
    this.onCamera = onCamera;
    this.el3d = el3d;
    this.elMap = elMap;
    this.hoverEl = hoverEl;
    this.mapBack = document.createElement("div");
    this.mapBack.className = "map-layer map-back";
    this.mapFront = document.createElement("div");
    this.mapFront.className = "map-layer map-front";
    elMap.append(this.mapBack, this.mapFront);
    this.hikers = [];
    this.cost3d = 0; // measured cost of one 3D update, ms
    this.last3d = -Infinity;
    this.pending3d = null;
    this.updates3d = 0;
    this.version = 0; // of what the views should show; mapVersion and view3dVersion: what they show
    // Plotly sends a synthetic click to its drag layer when the mouse did not drag.
    elMap.addEventListener("click", (event) => {
      const layer = event.target.closest && event.target.closest(".nsewdrag");
      if (!layer || !this.surface) return;
      const rect = layer.getBoundingClientRect();
      const fx = (event.clientX - rect.left) / rect.width;
      const fy = (event.clientY - rect.top) / rect.height;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
      const [x0, x1] = this.surface.x_range;
      const [y0, y1] = this.surface.y_range;
      onMapClick([x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)], event);
    });
    // The front layer takes the mouse, so the back layer's values are read out here.
    elMap.addEventListener("mousemove", (event) => this._hover(event));
    elMap.addEventListener("mouseleave", () => this._hover(null));
  }

  _hover(event) {
    if (!this.hoverEl) return;
    const layer = event && event.target.closest && event.target.closest(".nsewdrag");
    if (!layer || !this.mesh) {
      this.hoverEl.textContent = "\u00a0";
      return;
    }
    const rect = layer.getBoundingClientRect();
    const fx = Math.min(1, Math.max(0, (event.clientX - rect.left) / rect.width));
    const fy = Math.min(1, Math.max(0, (event.clientY - rect.top) / rect.height));
    const [x0, x1] = this.surface.x_range;
    const [y0, y1] = this.surface.y_range;
    const x = x0 + fx * (x1 - x0);
    const y = y1 - fy * (y1 - y0);
    const nearest = (values, v) => {
      let best = 0;
      for (let i = 1; i < values.length; i++)
        if (Math.abs(values[i] - v) < Math.abs(values[best] - v)) best = i;
      return best;
    };
    const f = this.mesh.z[nearest(this.mesh.y, y)][nearest(this.mesh.x, x)];
    const L = this.labels;
    let text = `${L.x} ${x.toPrecision(3)}, ${L.y} ${y.toPrecision(3)}: ${L.f} ≈ ${f === null ? "not finite" : Number(f.toPrecision(4))}`;
    if (this.basins) {
      const cell = this.basins.text[nearest(this.basins.y, y)][nearest(this.basins.x, x)];
      text += ` · from here ${cell.split("<br>")[1] || ""}`;
    }
    this.hoverEl.textContent = text;
  }

  /**
   * A still first look at the map of `surface` with the hikers at `starts`, for
   * while plotly.js is not running yet; the map drawn by Plotly replaces it.
   * Resolves once it is on screen.
   */
  async preview({ surface, mesh, logColour, hikers, starts }) {
    this.spans = spansOf(surface);
    this._fitMapHeight();
    const canvas = document.createElement("canvas");
    canvas.className = "map-layer map-preview";
    canvas.setAttribute("aria-hidden", "true");
    paintMapPreview(canvas, {
      width: this.elMap.clientWidth,
      height: this.elMap.clientHeight,
      surface,
      mesh,
      logColour,
      hikers,
      starts,
    });
    if (this.previewCanvas) this.previewCanvas.remove();
    this.previewCanvas = canvas;
    this.elMap.append(canvas);
    await afterPaint();
    markOnce("gh:preview");
  }

  /** Draw both views for a new surface (or a new colour option / map mode): the map, then the 3D view. */
  async draw(scene) {
    await this.drawMap(scene);
    await this.draw3d();
  }

  /**
   * Draw the map of a new surface and leave the 3D view to draw3d(): a page can
   * put its hikers on the map first, since the 3D view takes much longer to draw.
   */
  async drawMap({ surface, mesh, logColour, basins, hikers, camera = null }) {
    this.surface = surface;
    this.mesh = mesh;
    this.logColour = logColour;
    this.basins = basins;
    const scene = scene3d({ surface, mesh, labels: this.labels, logColour, camera });
    this.zRange = scene.zRange;
    this.spans = spansOf(surface);
    this.zOffset = scene.zOffset;
    this.aspect = scene.aspect;
    this.base3d = scene.traces;
    this.layout3d = scene.layout;
    const map = mapLayers({ surface, mesh, labels: this.labels, logColour, basins });
    this.backMap = map.back;
    this.baseMap = map.front;
    this.layoutBack = map.layoutBack;
    this.layoutMap = map.layoutFront;
    this.hikers = hikers;
    this._fitMapHeight();
    this.el3d.setAttribute("aria-busy", "true"); // the stylesheet says "Drawing the 3D view…"
    await this._plotMap();
  }

  /**
   * The map is drawn to scale, so a wide domain (the elongated bowl's 20 × 8)
   * gets a shorter map rather than empty bands above and below it.
   */
  _fitMapHeight() {
    this.mapHeight = this.mapHeight || this.elMap.clientHeight; // the stylesheet's height: the most
    const [xs, ys] = this.spans;
    const width = this.elMap.clientWidth - MAP_MARGIN.l - MAP_MARGIN.r;
    const height = width * (ys / xs) + MAP_MARGIN.t + MAP_MARGIN.b;
    this.elMap.style.height = `${Math.round(Math.min(this.mapHeight, Math.max(220, height)))}px`;
  }

  /** New set of hikers (count or colours changed): rebuild the hiker traces, on the map first. */
  async setHikers(hikers) {
    this.hikers = hikers;
    if (!this.surface) return;
    await this._plotMap();
    await this.draw3d();
  }

  async _plotMap() {
    // what is drawn changed: neither view shows a frame until it is drawn again
    const version = ++this.version;
    const hikersMap = hikerTracesMap(this.hikers, this.baseMap.length);
    await Promise.all([
      Plotly.react(this.mapBack, this.backMap, this.layoutBack, {
        ...CONFIG,
        displayModeBar: false,
        staticPlot: true,
      }),
      Plotly.react(this.mapFront, [...this.baseMap, ...hikersMap.traces], this.layoutMap, {
        ...CONFIG,
        displayModeBar: false,
      }),
    ]);
    if (version !== this.version) return; // drawn again meanwhile
    this.idxMap = hikersMap.idx;
    this.mapVersion = version;
    markOnce("gh:map-drawn");
    if (this._fits(this.lastFrame)) this._updateMap(this.lastFrame);
  }

  /**
   * The 3D view of what the map shows, drawn once the map is on screen: one 3D
   * frame costs hundreds of ms in software WebGL, and nothing paints meanwhile.
   */
  async draw3d() {
    await afterPaint();
    const version = this.version;
    if (this.view3dVersion === version || !this.surface) return;
    const hikers3d = hikerTraces3d(this.hikers, this.base3d.length);
    const traces = [...this.base3d, ...hikers3d.traces];
    // the hikers where they are now, in this same drawing (each 3D frame is costly)
    const frame = this._fits(this.lastFrame) ? this.lastFrame : null;
    const points = frame && this._points3d(frame, hikers3d.idx);
    if (points) points.traces.forEach((index, k) => Object.assign(traces[index], points.at(k)));
    await Plotly.react(this.el3d, traces, this.layout3d, CONFIG);
    if (version !== this.version) return; // the newer drawing draws its own
    this.idx3d = hikers3d.idx;
    this.view3dVersion = version;
    this.last3d = performance.now();
    this.el3d.removeAttribute("aria-busy");
    markOnce("gh:3d-drawn");
    if (points && points.shown) markOnce("gh:first-hiker-3d");
    this._listenToCamera();
    if (this.lastFrame !== frame && this._fits(this.lastFrame)) this._update3d(this.lastFrame); // moved meanwhile
  }

  /** Whether `frame` (a frame of update()) is one for the hikers drawn. */
  _fits(frame) {
    return Boolean(frame) && frame.length === this.hikers.length;
  }

  /** When the learner turns the 3D view, keep its camera (for later redraws) and tell the page. */
  _listenToCamera() {
    if (this.cameraListening || !this.el3d.on) return;
    this.cameraListening = true;
    this.el3d.on("plotly_relayout", (change) => {
      const camera = change["scene.camera"];
      if (!camera || !camera.eye) return;
      const { eye, center, up } = camera;
      this.layout3d.scene.camera = structuredClone({ eye, center, up });
      this.onCamera(structuredClone({ eye, center, up }));
    });
  }

  /**
   * Move the hikers. `frame` is one entry per hiker:
   * {trail: {x, y, z}, at: [x, y, z], grad: [gx, gy]} (at null: hide the hiker).
   */
  update(frame, { force3d = false } = {}) {
    if (!this.surface || !this._fits(frame)) return;
    this.lastFrame = frame; // a view still being drawn shows it once drawn
    const now = performance.now();
    // only an animation's frames are timed: a still picture (forced) starts no gap,
    // or the idle time after it would pass for a frame
    if (force3d) this.lastUpdateAt = null;
    else this._measure(now);
    this._updateMap(frame);
    // 3D updates cost up to hundreds of ms on software WebGL: keep them to about
    // a fifth of the time, and always draw the final position.
    const interval = this.cost3d > 8 ? this.cost3d * 4 : 0;
    if (force3d || (!this.excess && now - this.last3d >= interval)) {
      this._update3d(frame);
    } else if (!this.pending3d && !this.excess) {
      this.pending3d = setTimeout(
        () => {
          this.pending3d = null;
          if (this.lastFrame) this._update3d(this.lastFrame);
        },
        interval - (now - this.last3d),
      );
    }
  }

  /**
   * Frame-to-frame gaps: a frame without a 3D update sets the baseline; the gap
   * after one with a 3D update, minus the baseline, is what the 3D update cost.
   */
  _measure(now) {
    const gap = now - (this.lastUpdateAt ?? now);
    this.lastUpdateAt = now;
    if (gap <= 0 || gap > 2000) {
      this.frameHad3d = false;
      return;
    }
    // software WebGL can spill its work over a few frames: add up their excess
    if (this.frameHad3d) this.excess = { frames: 3, sum: 0 };
    this.frameHad3d = false;
    if (this.excess) {
      this.excess.sum += Math.max(0, gap - (this.baseFrame || 16));
      if (--this.excess.frames === 0) {
        const cost = this.excess.sum;
        this.cost3d = this.cost3d ? 0.6 * this.cost3d + 0.4 * cost : cost;
        this.excess = null;
      }
    } else {
      this.baseFrame = this.baseFrame ? 0.9 * this.baseFrame + 0.1 * gap : gap;
    }
  }

  _updateMap(frame) {
    if (this.mapVersion !== this.version) return;
    const X = [];
    const Y = [];
    const traces = [];
    frame.forEach((f, i) => {
      X.push(f.trail.x);
      Y.push(f.trail.y);
      traces.push(this.idxMap.trails[i]);
    });
    frame.forEach((f, i) => {
      const d = f.at && arrow2d(this, f.grad[0], f.grad[1]);
      X.push(d ? [f.at[0], f.at[0] + d[0]] : []);
      Y.push(d ? [f.at[1], f.at[1] + d[1]] : []);
      traces.push(this.idxMap.arrows[i]);
    });
    X.push(frame.map((f) => (f.at ? f.at[0] : null)));
    Y.push(frame.map((f) => (f.at ? f.at[1] : null)));
    traces.push(this.idxMap.markers);
    const shown = frame.some((f) => f.at);
    Plotly.animate(
      this.mapFront,
      { data: X.map((x, i) => ({ x, y: Y[i] })), traces },
      { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" },
    )
      .then(() => {
        // the first look goes once the map it stood for shows the hikers too
        if (this.previewCanvas) this.previewCanvas.remove();
        this.previewCanvas = null;
        if (shown) markOnce("gh:first-hiker");
      })
      .catch(() => {});
  }

  _update3d(frame) {
    clearTimeout(this.pending3d);
    this.pending3d = null;
    if (this.view3dVersion !== this.version) return;
    this.last3d = performance.now();
    this.frameHad3d = true; // the next frame's gap tells what this update cost
    const points = this._points3d(frame, this.idx3d);
    Plotly.restyle(this.el3d, { x: points.x, y: points.y, z: points.z }, points.traces)
      .then(() => points.shown && markOnce("gh:first-hiker-3d"))
      .catch(() => {});
    this.updates3d += 1;
  }

  /**
   * The 3D hiker traces' points for `frame` (trace indices `idx`): Plotly.restyle's
   * arrays {x, y, z} for `traces`, at(k) for the k-th, and whether a hiker is shown.
   */
  _points3d(frame, idx) {
    const off = this.zOffset;
    const zTop = this.zRange[1];
    // Points outside the box are cut from the drawing: WebGL scales every trace
    // together, and one at f = 4.5e9 would break the surface into steps.
    const inside = (x, y, z) => z !== null && inBox(this, x, y, z);
    const X = [];
    const Y = [];
    const Z = [];
    const traces = [];
    const push = (x, y, z, trace) => {
      X.push(x);
      Y.push(y);
      Z.push(z);
      traces.push(trace);
    };
    const markers = frame.map((f) => {
      if (!f.at || !inside(...f.at)) return null;
      const [x, y, z] = f.at;
      return [x, y, Math.min(zTop, z + lift(this, x, y, z))];
    });
    frame.forEach((f, i) => {
      const t = f.trail;
      const x = [];
      const y = [];
      const z = [];
      t.x.forEach((tx, k) => {
        const ok = inside(tx, t.y[k], t.z[k]);
        x.push(ok ? tx : null);
        y.push(ok ? t.y[k] : null);
        z.push(ok ? t.z[k] + off * 0.5 : null);
      });
      const m = markers[i];
      if (m) {
        // the stem from the ground to the floating marker
        x.push(null, m[0], m[0]);
        y.push(null, m[1], m[1]);
        z.push(null, f.at[2] + off * 0.5, m[2]);
      }
      push(x, y, z, idx.trails[i]);
    });
    frame.forEach((f, i) => {
      const arrow = markers[i] && arrow3d(this, f.at, f.grad);
      if (arrow) push(arrow.x, arrow.y, arrow.z, idx.arrows[i]);
      else push([], [], [], idx.arrows[i]);
    });
    push(
      markers.map((m) => (m ? m[0] : null)),
      markers.map((m) => (m ? m[1] : null)),
      markers.map((m) => (m ? m[2] : null)),
      idx.markers,
    );
    return {
      x: X,
      y: Y,
      z: Z,
      traces,
      at: (k) => ({ x: X[k], y: Y[k], z: Z[k] }),
      shown: markers.some((m) => m),
    };
  }

  /** Draw the latest hiker positions in 3D now (before an export, at a pause). */
  flush3d() {
    if (this._fits(this.lastFrame)) this._update3d(this.lastFrame);
  }
}

/** [x span, y span] of a surface's domain. */
function spansOf(surface) {
  return [surface.x_range[1] - surface.x_range[0], surface.y_range[1] - surface.y_range[0]];
}
