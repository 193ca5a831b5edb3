// Curvature made visible: L, the largest eigenvalue of the Hessian (how sharply the
// ground bends in its steepest direction), at the selected hiker's start and at
// the minimum its ghost heads for, with the condition number κ = λ_max / λ_min;
// and, for gradient descent, the learning rates where that curvature bites,
// marked on the learning-rate slider. On a bowl f = ½ λ u² a step of γ multiplies
// u by (1 − γλ): past γ = 1/L it overshoots the valley floor (zig-zag), past
// γ = 2/L it lands farther out than it started (it diverges). Heavy-ball
// momentum μ moves the second edge to 2(1 + μ)/L. The numbers come from the
// server (POST /api/curvature, a run's final.hessian_eigenvalues).

import { postJSON } from "../common/api.js";
import { fmt } from "../common/format.js";

const $ = (id) => document.getElementById(id);
const THUMB = 16; // px: the range thumb's width; its centre runs from THUMB/2 to width − THUMB/2

/** {eigenvalues: [λ_min, λ_max] | null, condition: κ | null} */
function reading(eigenvalues) {
  if (!eigenvalues) return { eigenvalues: null, condition: null };
  const [lo, hi] = eigenvalues;
  return { eigenvalues, condition: lo > 0 ? hi / lo : null };
}

export class CurvatureView {
  /** `onChange()` after new numbers are shown. */
  constructor({ onChange = () => {} } = {}) {
    this.onChange = onChange;
    this.cache = new Map(); // JSON([surface, point]) → reading
    this.start = null; // {point, reading}
    this.minimum = null; // {point, reading} | {none: "why"}
    this.token = 0;
    this.marks = [];
    // the slider's width changes with the sidebar (a scrollbar, the phone's sheet): follow it
    new ResizeObserver(() => this._placeMarks()).observe($("lr-slider"));
  }

  /** The curvature at `point` on `surface`, from the cache or the server. */
  async at(surface, point) {
    const key = JSON.stringify([surface, point]);
    if (!this.cache.has(key)) {
      const reply = await postJSON("/api/curvature", { surface, points: [point] });
      this.cache.set(key, reading(reply.eigenvalues[0]));
    }
    return this.cache.get(key);
  }

  /** A new start (surface or point): its curvature; the minimum waits for the next ghost. */
  async setStart(surface, point) {
    const token = ++this.token;
    this.surface = surface;
    this.start = { point, reading: null };
    this.minimum = null;
    this.render();
    try {
      const r = await this.at(surface, point);
      if (token !== this.token) return;
      this.start.reading = r;
    } catch (error) {
      if (token !== this.token) return;
      this.start.error = error.message;
    }
    this.render();
  }

  /** The ghost's run: the minimum it heads for (its final Hessian, or the curvature at its nearest minimum). */
  async setRun(run) {
    const token = this.token;
    const m = run.nearest_minimum;
    const eig = run.final && run.final.hessian_eigenvalues;
    if (run.verdict === "diverged") this.minimum = { none: "none, it flies off" };
    else if (run.verdict === "converged" && eig) {
      // named by the minimum it reached (its end point is within the tolerance of it)
      this.minimum = { point: m ? [m.x, m.y] : [run.final.x, run.final.y], reading: reading(eig) };
    } else if (m) {
      try {
        const r = await this.at(this.surface, [m.x, m.y]);
        if (token !== this.token) return;
        this.minimum = { point: [m.x, m.y], reading: r };
      } catch {
        return;
      }
    } else this.minimum = { none: "none found" };
    this.render();
  }

  /** The selected hiker's optimizer and hyperparameters, for the slider's marks. */
  setHiker(optimizer, hyper) {
    const key = JSON.stringify([optimizer, hyper]);
    if (key === this.hikerKey) return;
    this.hikerKey = key;
    this.optimizer = optimizer;
    this.hyper = hyper;
    this.render();
  }

  /** L for the marks: the start's when the ground there curves up, else the minimum's. */
  curvature() {
    const s = this.start && this.start.reading;
    if (s && s.eigenvalues && s.eigenvalues[1] > 0) return { L: s.eigenvalues[1], where: "at the start" };
    const m = this.minimum && this.minimum.reading;
    if (m && m.eigenvalues && m.eigenvalues[1] > 0) return { L: m.eigenvalues[1], where: "at the minimum" };
    return null;
  }

  render() {
    this._note();
    this._marks();
  }

  _note() {
    const note = $("curvature-note");
    const parts = [];
    const describe = (r) => {
      if (!r.eigenvalues) return "not defined (the Hessian is not finite there)";
      const [lo, hi] = r.eigenvalues;
      const kappa = r.condition === null ? "no κ: not a bowl there" : `κ = ${fmt(r.condition, 3)}`;
      return `L = ${fmt(hi, 3)}, ${kappa} (λ = ${fmt(lo, 3)} and ${fmt(hi, 3)})`;
    };
    if (this.start && this.start.reading) parts.push(`at the start ${describe(this.start.reading)}`);
    else if (this.start && this.start.error) parts.push(`at the start: ${this.start.error}`);
    if (this.minimum && this.minimum.reading) {
      const [x, y] = this.minimum.point;
      parts.push(
        `at the minimum it heads for, (${fmt(x, 3)}, ${fmt(y, 3)}): ${describe(this.minimum.reading)}`,
      );
    } else if (this.minimum && this.minimum.none)
      parts.push(`at the minimum it heads for: ${this.minimum.none}`);
    note.hidden = !parts.length;
    note.textContent = parts.length
      ? "Curvature (L, the Hessian's largest eigenvalue: how sharply the ground bends; " +
        `κ = λmax/λmin: how elongated the valley is): ${parts.join("; ")}.`
      : "";
    this.onChange();
  }

  /** Which learning rates to mark: 1/L and 2/L for gradient descent, 2(1 + μ)/L for heavy-ball momentum. */
  _wanted() {
    const c = this.curvature();
    const h = this.hyper;
    if (!c || this.optimizer !== "sgd" || !h || h.nesterov || h.dampening) return [];
    const L = c.L + (h.weight_decay || 0); // weight decay ω adds ω to every eigenvalue
    if (!h.momentum) {
      return [
        {
          name: "1/L",
          lr: 1 / L,
          says: "beyond it each step overshoots the valley floor: the path zig-zags",
        },
        {
          name: "2/L",
          lr: 2 / L,
          says: "beyond 2/L the step overshoots by more than it gains: it diverges on a bowl",
        },
      ];
    }
    return [
      {
        name: "2(1+μ)/L",
        lr: (2 * (1 + h.momentum)) / L,
        says: "with momentum μ the edge moves out: beyond it the heavy ball diverges on a bowl",
      },
    ];
  }

  _marks() {
    const box = $("lr-marks");
    const note = $("lr-marks-note");
    const slider = $("lr-slider");
    const lo = Number(slider.min);
    const hi = Number(slider.max);
    const c = this.curvature();
    this.marks = this._wanted().filter((m) => Math.log10(m.lr) >= lo && Math.log10(m.lr) <= hi);
    box.replaceChildren(
      ...this.marks.map((m, k) => {
        const mark = document.createElement("span");
        // two marks a factor 2 apart sit close on a slider of decades: their labels point apart
        const side = this.marks.length === 1 ? "" : k === 0 ? " leftward" : " rightward";
        mark.className = `lr-mark${side}`;
        mark.dataset.mark = m.name;
        mark.dataset.lr = String(m.lr);
        mark.dataset.at = String((Math.log10(m.lr) - lo) / (hi - lo));
        mark.textContent = m.name;
        mark.title = `${m.name} = ${fmt(m.lr, 3)}: ${m.says}`;
        return mark;
      }),
    );
    box.hidden = !this.marks.length;
    note.hidden = !this.marks.length;
    note.textContent = this.marks
      .map((m) => `${m.name} = ${fmt(m.lr, 3)}: ${m.says}.`)
      .concat(this.marks.length ? [`(L = ${fmt(c.L, 3)} ${c.where}.)`] : [])
      .join(" ");
    this._placeMarks();
  }

  /** Line the marks up with the slider's track (the slider shares its row with the number box). */
  _placeMarks() {
    const box = $("lr-marks");
    if (box.hidden) return;
    const s = $("lr-slider").getBoundingClientRect();
    const base = box.getBoundingClientRect().left - (parseFloat(box.style.marginLeft) || 0);
    box.style.marginLeft = `${s.left - base + THUMB / 2}px`;
    box.style.width = `${Math.max(0, s.width - THUMB)}px`;
    for (const mark of box.children) mark.style.left = `${Number(mark.dataset.at) * 100}%`;
  }
}
