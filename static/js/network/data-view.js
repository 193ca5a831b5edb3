// The dataset plot: training points (circles) and test points (diamonds) coloured
// by label, over a heatmap of what the network says at every place: the
// probability of the orange class (classification) or ŷ (regression). The plot is
// drawn once per run; while training only the heatmap's z is restyled.
// A click (or a tap) on the plot reports the data coordinates: drawing points, or
// picking one for its backprop.

const Plotly = window.Plotly;

export const CLASS_COLOURS = ["#0877bd", "#f59322"]; // class 0 blue, class 1 orange (as in the Playground)
const SCALE = [
  [0, "#0877bd"],
  [0.5, "#f4f5f6"],
  [1, "#f59322"],
];

const CONFIG = { displaylogo: false, responsive: true, displayModeBar: false };

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
    this.cost = 0; // measured cost of one heatmap update, ms
    this.redraws = 0; // boundaries drawn, and the cost of the latest ones (ms), for bench/bench_boundary.py
    this.costs = [];
    // A click or a tap is read from pointer events, one pair per gesture: Plotly's
    // drag layer answers a tap with clicks of its own besides the browser's (two or
    // three per tap on a touch screen), and covers the page while the button is down.
    let down = null;
    el.addEventListener("pointerdown", (event) => {
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
    const heatmap = {
      type: "heatmap",
      x: grid.x,
      y: grid.y,
      z: boundary,
      zmin,
      zmax,
      colorscale: SCALE,
      opacity: 0.85,
      showscale: false,
      zsmooth: "best",
      hovertemplate: `x₁ %{x:.2f}, x₂ %{y:.2f}<br>${classify ? "p(orange) %{z:.2f}" : "ŷ %{z:.3f}"}<extra></extra>`,
      name: classify ? "p(class 1)" : "ŷ",
    };
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
      plot_bgcolor: "#f4f5f6",
      dragmode: false,
      hovermode: "closest",
      xaxis: { ...axis("x₁", this.ranges.x), constrain: "domain" },
      yaxis: { ...axis("x₂", this.ranges.y), scaleanchor: "x", scaleratio: 1, constrain: "domain" },
    };
    this.drawn = Plotly.react(
      this.el,
      [
        heatmap,
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
    );
    await this.drawn;
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
      Plotly.restyle(this.el, { x: [p ? [p[0]] : []], y: [p ? [p[1]] : []] }, [3]).catch(() => {});
    });
  }

  /** The newest boundary (one heatmap restyle; the caller paces these by `cost`). */
  setBoundary(boundary) {
    if (!this.ranges) return;
    this.drawn.then(() => {
      const started = performance.now();
      Plotly.restyle(this.el, { z: [boundary] }, [0]).catch(() => {});
      const cost = performance.now() - started;
      this.redraws += 1;
      this.costs.push(cost);
      if (this.costs.length > 500) this.costs.shift();
      this.cost = this.cost ? 0.8 * this.cost + 0.2 * cost : cost;
    });
  }
}
