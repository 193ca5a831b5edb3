// The dataset plot: training points (circles) and test points (diamonds) coloured
// by label, over a map of what the network says at every place: the probability
// of the orange class (classification) or ŷ (regression). The points and axes are
// a Plotly plot drawn once per run; the map is a canvas under it (boundary-image.js),
// repainted with every live update, and pointing at it shows its value in Plotly's
// own hover label, as a heatmap trace would.
// A click (or a tap) on the plot reports the data coordinates: drawing points, or
// picking one for its backprop.

import { BoundaryImage } from "./boundary-image.js";

const Plotly = window.Plotly;

export const CLASS_COLOURS = ["#0877bd", "#f59322"]; // class 0 blue, class 1 orange (as in the Playground)
const SCALE = [
  [0, "#0877bd"],
  [0.5, "#f4f5f6"],
  [1, "#f59322"],
];

const OPACITY = 0.85; // of the map over the plot's background
const BACKGROUND = "#f4f5f6";
const EXAMPLE_TRACE = 2; // the ring around the example whose backprop is shown

const CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };
const SVG = "http://www.w3.org/2000/svg";

/** The output of a network that knows nothing yet: p = ½ everywhere (or ŷ = 0). */
export function neutralBoundary(task, grid) {
  const value = task === "classification" ? 0.5 : 0;
  return grid.y.map(() => grid.x.map(() => value));
}

export class DataView {
  constructor(el, { onClick }) {
    this.el = el;
    this.ranges = null;
    this.drawn = Promise.resolve(); // a restyle waits for the plot it changes
    this.cost = 0; // measured cost of one boundary update, ms
    this.redraws = 0; // boundaries drawn, and the cost of the latest ones (ms), for bench/bench_boundary.py
    this.costs = [];
    this.map = new BoundaryImage({ scale: SCALE, opacity: OPACITY, background: BACKGROUND });
    this.boundary = null; // the newest grid of the network's output
    this.grid = null; // its axes, {x, y}
    this.listening = false; // to Plotly's events, once it has drawn
    // the map's hover label, over Plotly's layers (which take the pointer); a data
    // point's own label (Plotly's) hides it
    this.labels = document.createElementNS(SVG, "svg");
    this.labels.classList.add("boundary-hover");
    const over = { position: "absolute", left: "0", top: "0", pointerEvents: "none", overflow: "visible" };
    Object.assign(this.labels.style, over);
    this.pointHovered = false;
    this.pointer = null; // the last pointer event over the plot, to relabel after an update
    el.addEventListener("pointermove", (event) => {
      if (event.pointerType === "touch") return; // a tap shows it (pointerdown)
      this.pointer = event;
      this._label();
    });
    el.addEventListener("pointerleave", (event) => {
      if (event.pointerType === "touch") return; // on a touch screen the label stays until the next tap
      this.pointer = null;
      this._label();
    });
    // A click or a tap is read from pointer events, one pair per gesture: Plotly's
    // drag layer answers a tap with clicks of its own besides the browser's (two or
    // three per tap on a touch screen), and covers the page while the button is down.
    let down = null;
    el.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "touch") {
        this.pointer = event;
        this._label();
      }
      down = this._dataPoint(event) ? { id: event.pointerId, x: event.clientX, y: event.clientY } : null;
    });
    window.addEventListener("pointerup", (event) => {
      if (!down || event.pointerId !== down.id) return;
      const moved = Math.hypot(event.clientX - down.x, event.clientY - down.y);
      down = null;
      const point = moved < 8 ? this._dataPoint(event) : null;
      if (point) onClick(point, event);
    });
  }

  /** The data coordinates under a pointer event, or null outside the plot area. */
  _dataPoint(event) {
    const layer = this.el.querySelector(".nsewdrag");
    if (!layer || !this.ranges) return null;
    const rect = layer.getBoundingClientRect();
    const fx = (event.clientX - rect.left) / rect.width;
    const fy = (event.clientY - rect.top) / rect.height;
    if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
    const [x0, x1] = this.ranges.x;
    const [y0, y1] = this.ranges.y;
    return [x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)];
  }

  /**
   * Draw a new run's data: `task`, `train` and `test` ({x, y}), the boundary
   * `grid` ({x, y} axes) and its first `boundary`.
   */
  async draw({ task, train, test, grid, boundary }) {
    this.task = task;
    this.train = train;
    this.grid = grid;
    this.ranges = { x: [grid.x[0], grid.x[grid.x.length - 1]], y: [grid.y[0], grid.y[grid.y.length - 1]] };
    const classify = task === "classification";
    // regression: one colour scale for targets and ŷ, symmetric about 0
    const all = [...train.y, ...test.y];
    const m = classify ? 1 : Math.max(0.1, ...all.map(Math.abs)) * 1.1;
    const [zmin, zmax] = classify ? [0, 1] : [-m, m];
    const colourOf = (y) => (classify ? CLASS_COLOURS[y ? 1 : 0] : y);
    const points = (set, name, marker) => ({
      type: "scatter",
      mode: "markers",
      x: set.x.map((p) => p[0]),
      y: set.x.map((p) => p[1]),
      marker: {
        ...marker,
        color: set.y.map(colourOf),
        ...(classify ? {} : { colorscale: SCALE, cmin: zmin, cmax: zmax }),
      },
      customdata: set.y,
      hovertemplate: `${name}: (%{x:.2f}, %{y:.2f}) ${classify ? "class %{customdata}" : "y = %{customdata:.3f}"}<extra></extra>`,
      name,
    });
    this.map.setRange(zmin, zmax);
    const axis = (title, range) => ({
      title: { text: title, standoff: 2 },
      range,
      fixedrange: true,
      zeroline: false,
      showgrid: false,
      ticks: "outside",
      ticklen: 3,
    });
    const layout = {
      margin: { l: 36, r: 8, t: 8, b: 34 },
      showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)", // the map (its canvas, under the plot) paints the background
      dragmode: false,
      hovermode: "closest",
      xaxis: { ...axis("x₁", this.ranges.x), constrain: "domain" },
      yaxis: { ...axis("x₂", this.ranges.y), scaleanchor: "x", scaleratio: 1, constrain: "domain" },
    };
    this.drawn = Plotly.react(
      this.el,
      [
        // every point outlined, so an orange point shows on an orange background
        points(train, "train", { size: 8, symbol: "circle", line: { color: "#1d2330", width: 1 } }),
        points(test, "test", { size: 9, symbol: "diamond", line: { color: "#1d2330", width: 1.5 } }),
        {
          type: "scatter",
          mode: "markers",
          x: [],
          y: [],
          marker: { size: 20, symbol: "circle-open", color: "#ffb000", line: { width: 3 } },
          hoverinfo: "skip",
          name: "the example",
        },
      ],
      layout,
      CONFIG,
    ).then(() => {
      if (!this.listening) {
        // a resize (or any other replot) moves the plot area: the map follows
        this.el.on("plotly_afterplot", () => this._place());
        this.el.on("plotly_hover", () => {
          this.pointHovered = true;
          this._label();
        });
        this.el.on("plotly_unhover", () => {
          this.pointHovered = false;
          this._label();
        });
        this.listening = true;
      }
      this._place();
    });
    this.setBoundary(boundary);
    await this.drawn;
  }

  /** The plot area in px of Plotly's container (the canvas's and the labels' frame), or null. */
  _plotArea() {
    const container = this.el.querySelector(".svg-container");
    const area = this.el.querySelector(".nsewdrag");
    if (!container || !area) return null;
    const outer = container.getBoundingClientRect();
    const inner = area.getBoundingClientRect();
    const { width, height } = inner;
    return { container, left: inner.left - outer.left, top: inner.top - outer.top, width, height };
  }

  /** Lay the map under the plot area and the hover labels over everything. */
  _place() {
    const area = this._plotArea();
    if (!area) return;
    this.map.place(area.container, area);
    if (area.container.lastChild !== this.labels) area.container.appendChild(this.labels);
    this.labels.setAttribute("width", String(area.container.clientWidth));
    this.labels.setAttribute("height", String(area.container.clientHeight));
  }

  /**
   * The map's hover label at the pointer, as a heatmap trace shows it: the grid point
   * nearest, with the network's output there; none off the map or over a data point's.
   */
  _label() {
    Plotly.Fx.loneUnhover(this.labels);
    const at = this.pointer && !this.pointHovered ? this._dataPoint(this.pointer) : null;
    const area = at && this.boundary ? this._plotArea() : null;
    if (!area) return;
    const nearest = (axis, v) => {
      const step = (axis[axis.length - 1] - axis[0]) / (axis.length - 1);
      return Math.min(axis.length - 1, Math.max(0, Math.round((v - axis[0]) / step)));
    };
    const i = nearest(this.grid.x, at[0]);
    const j = nearest(this.grid.y, at[1]);
    const value = this.boundary[j] ? this.boundary[j][i] : null;
    if (value === null || value === undefined) return;
    const [x0, x1] = this.ranges.x;
    const [y0, y1] = this.ranges.y;
    const px = (x) => area.left + ((x - x0) / (x1 - x0)) * area.width;
    const py = (y) => area.top + ((y1 - y) / (y1 - y0)) * area.height;
    const [x, y] = [this.grid.x[i], this.grid.y[j]];
    const says = this.task === "classification" ? `p(orange) ${value.toFixed(2)}` : `ŷ ${value.toFixed(3)}`;
    Plotly.Fx.loneHover(
      { x: px(x), y: py(y), text: `x₁ ${x.toFixed(2)}, x₂ ${y.toFixed(2)}<br>${says}` },
      { container: this.labels, outerContainer: this.labels, gd: this.el },
    );
  }

  /** The training point nearest (x, y), within `pixels` on screen: its index, or null. */
  nearestTrain([x, y], pixels = 14) {
    if (!this.train || !this.ranges) return null;
    const layer = this.el.querySelector(".nsewdrag");
    if (!layer) return null;
    const rect = layer.getBoundingClientRect();
    const sx = rect.width / (this.ranges.x[1] - this.ranges.x[0]);
    const sy = rect.height / (this.ranges.y[1] - this.ranges.y[0]);
    let best = null;
    this.train.x.forEach(([a, b], i) => {
      const d = Math.hypot((a - x) * sx, (b - y) * sy);
      if (d <= pixels && (!best || d < best.d)) best = { d, i };
    });
    return best ? best.i : null;
  }

  /** Ring training point `i` (the example whose backprop is shown), or none with null. */
  select(i) {
    const p = i === null || !this.train ? null : this.train.x[i];
    this.drawn.then(() => {
      if (!this.el.data) return; // nothing drawn yet
      Plotly.restyle(this.el, { x: [p ? [p[0]] : []], y: [p ? [p[1]] : []] }, [EXAMPLE_TRACE]).catch(() => {});
    });
  }

  /** The newest boundary: the map repainted (the caller paces these by `cost`), and its label. */
  setBoundary(boundary) {
    if (!this.ranges) return;
    const started = performance.now();
    this.boundary = boundary;
    this.map.paint(boundary);
    if (this.pointer) this._label();
    const cost = performance.now() - started;
    this.redraws += 1;
    this.costs.push(cost);
    if (this.costs.length > 500) this.costs.shift();
    this.cost = this.cost ? 0.8 * this.cost + 0.2 * cost : cost;
  }
}
