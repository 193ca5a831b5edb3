// The readout table: per hiker its step, position, cost, gradient norm, status
// (with the step where it ended), and the server's word on it: the minimum it
// reached (or the nearest one) and its verdict.

import { fmt } from "../common/format.js";

// How the run stopped, mechanically (API.md's status); the verdict says what it means.
const STATUS_TEXT = {
  converged: (steps) => `stopped at step ${steps}: |∇f| ≤ tolerance`,
  max_steps: (steps) => `out of steps (${steps})`,
  diverged: (steps) => `flew off at step ${steps}`,
};

// The table's columns and their headings (the card layout on a phone shows them too).
const COLUMNS = {
  hiker: "Hiker",
  step: "Step",
  x: "x",
  y: "y",
  f: "f(x, y)",
  grad: "|∇f|",
  status: "Status",
  minimum: "Minimum reached",
  verdict: "Verdict",
};

export class Readout {
  constructor(tbody) {
    this.tbody = tbody;
    this.rows = [];
  }

  /** Rebuild the rows for a new set of hikers. */
  setHikers(hikers) {
    this.tbody.replaceChildren();
    this.rows = hikers.map((h, i) => {
      const tr = document.createElement("tr");
      tr.dataset.hiker = String(i);
      const cells = {};
      for (const [key, label] of Object.entries(COLUMNS)) {
        const cell = document.createElement(key === "hiker" ? "th" : "td");
        if (key === "hiker") cell.scope = "row";
        cell.dataset.col = key;
        cell.dataset.label = label; // a phone shows each row as a card with these names
        cells[key] = cell;
        tr.append(cell);
      }
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = h.colour;
      swatch.setAttribute("aria-hidden", "true");
      cells.hiker.append(swatch, document.createTextNode(` ${i + 1}. ${h.label}`));
      this.tbody.append(tr);
      return { tr, cells, cache: {} };
    });
  }

  /** `values[i]` = {step, x, y, f, grad, status, minimum, verdict, selected}. */
  update(values) {
    values.forEach((v, i) => {
      const row = this.rows[i];
      if (!row) return;
      const text = {
        step: String(v.step),
        x: fmt(v.x),
        y: fmt(v.y),
        f: fmt(v.f),
        grad: fmt(v.grad),
        status: v.status ? STATUS_TEXT[v.status](v.steps) : v.walking ? "still walking" : "ready",
        minimum: v.minimum ? minimumText(v.minimum) : "—",
        verdict: v.verdict ? v.verdict.word : "",
      };
      for (const [key, value] of Object.entries(text)) {
        if (row.cache[key] !== value) {
          row.cache[key] = value;
          row.cells[key].textContent = value;
        }
      }
      row.tr.dataset.status = v.status || (v.walking ? "walking" : "ready");
      row.tr.dataset.verdict = v.verdict ? v.verdict.word : "";
      row.cells.verdict.title = v.verdict ? v.verdict.hint : "";
      row.cells.verdict.dataset.verdict = v.verdict ? v.verdict.word : "";
      row.tr.classList.toggle("selected", Boolean(v.selected));
    });
  }
}

function minimumText(m) {
  const kind = m.global ? "global" : "local";
  const where = `(${fmt(m.x, 3)}, ${fmt(m.y, 3)})`;
  return m.reached ? `${kind} ${where}` : `nearest: ${kind} ${where}, ${fmt(m.distance, 2)} away`;
}
