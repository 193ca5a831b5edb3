// A hiker's trail as drawn: the path up to the shown step, thinned when it gets
// long (every 2nd, 4th… point) so a 100,000-step run still draws quickly. The
// shown point is always the trail's last point.

const MAX_POINTS = 2000;

export class Trail {
  constructor(path) {
    this.path = path;
    this.reset();
  }

  reset() {
    this.x = [];
    this.y = [];
    this.z = [];
    this.index = []; // path index of each stored point
    this.stride = 1;
    this.shown = -1;
  }

  /** Arrays of the trail up to path point `k` (copies, safe to hand to Plotly). */
  to(k) {
    if (k < this.shown) this.reset();
    const p = this.path;
    let next = this.index.length ? this.index[this.index.length - 1] + this.stride : 0;
    for (; next <= k; next += this.stride) {
      this.index.push(next);
      this.x.push(p.x[next]);
      this.y.push(p.y[next]);
      this.z.push(p.z[next]);
    }
    if (this.index.length > MAX_POINTS) this._thin();
    this.shown = k;
    const x = this.x.slice();
    const y = this.y.slice();
    const z = this.z.slice();
    if (k >= 0 && this.index[this.index.length - 1] !== k) {
      x.push(p.x[k]);
      y.push(p.y[k]);
      z.push(p.z[k]);
    }
    return { x, y, z };
  }

  // Keep the points on a doubled stride (indices multiple of 2 × stride).
  _thin() {
    const stride = this.stride * 2;
    const keep = this.index.map((i) => i % stride === 0);
    for (const key of ["x", "y", "z", "index"]) this[key] = this[key].filter((_, j) => keep[j]);
    this.stride = stride;
  }
}
