// Pointing at the diagram: over a hidden unit, its map enlarged with what it is;
// over an edge, that weight's value and its gradient ∂L/∂w. A tap does the same
// on a touch screen. Everything shown is what the diagram already holds (the
// newest weights, gradients and maps); nothing is fetched.

import { fmt, subscript } from "../common/format.js";
import { columnName } from "./diagram.js";
import { mapRange, paintMap } from "./unit-maps.js";

const BIG = 132; // px, the enlarged map

function unitWords(diagram, c, i) {
  const columns = diagram.columns.length;
  if (c === 0) return { title: `x${subscript(i + 1)}, input ${i + 1}`, lines: ["The point's coordinate, fed to every unit of the first layer."] };
  if (c === columns - 1)
    return {
      title: "ŷ, the output",
      lines: [
        diagram.task === "classification"
          ? "The logit: σ(ŷ) is the probability of orange, drawn as the background of the data plot."
          : "The prediction, drawn as the background of the data plot.",
      ],
    };
  const bias = diagram.weights ? diagram.weights[c - 1].b[i] : null;
  return {
    title: `${columnName(c, columns)} unit ${i}, ${diagram.activation}`,
    lines: [`bias b = ${fmt(bias, 3)}`],
  };
}

export class DiagramHover {
  /** `diagram` a NetworkDiagram; `tip` an element inside its container for the words. */
  constructor(diagram, tip) {
    this.diagram = diagram;
    this.tip = tip;
    this.current = null;
    const container = diagram.container;
    const at = (event) => {
      const box = container.getBoundingClientRect();
      return [event.clientX - box.left, event.clientY - box.top];
    };
    container.addEventListener("pointermove", (event) => {
      if (event.pointerType === "touch") return; // a tap shows it (pointerdown)
      this.show(...at(event));
    });
    container.addEventListener("pointerdown", (event) => this.show(...at(event)));
    // a finger lifting "leaves" at once: on a touch screen the tip stays until the next tap
    container.addEventListener("pointerleave", (event) => event.pointerType !== "touch" && this.hide());
  }

  hide() {
    this.current = null;
    this.tip.hidden = true;
    this.diagram.highlightEdge(null);
  }

  /** Show what lies at (px, py) of the diagram, if anything. */
  show(px, py) {
    const hit = this.diagram.hit(px, py);
    if (!hit) {
      this.hide();
      return;
    }
    const key = JSON.stringify(hit);
    if (key !== this.current) {
      this.current = key;
      if (hit.kind === "edge") this._edge(hit);
      else this._unit(hit);
    }
    this._place(px, py);
  }

  /** The newest maps arrived: the enlarged one follows. */
  refresh() {
    if (!this.current || this.tip.hidden) return;
    const hit = JSON.parse(this.current);
    if (hit.kind === "unit") this._unit(hit);
  }

  _unit({ c, i }) {
    const d = this.diagram;
    d.highlightEdge(null);
    const words = unitWords(d, c, i);
    const nodes = [];
    const grid = d.maps.grid(c, i);
    if (grid) {
      const canvas = document.createElement("canvas");
      const dpr = window.devicePixelRatio || 1;
      canvas.width = BIG * dpr;
      canvas.height = BIG * dpr;
      canvas.className = "tip-map";
      const ctx = canvas.getContext("2d");
      ctx.scale(dpr, dpr);
      paintMap(ctx, grid, d.activation, 0, 0, BIG);
      const [lo, hi] = mapRange(grid, d.activation);
      nodes.push(canvas, line(`Over the input plane (x₁ across, x₂ up): blue ${fmt(lo, 2)}, orange ${fmt(hi, 2)}.`));
    } else if (c > 0 && c < d.columns.length - 1) {
      nodes.push(line("Its map comes with the next epoch."));
    }
    this._fill(words.title, [...words.lines.map(line), ...nodes], { unit: `${c}:${i}` });
  }

  _edge({ l, i, j }) {
    const d = this.diagram;
    d.highlightEdge({ l, i, j });
    const columns = d.columns.length;
    const name = `W${subscript(l)}[${i}, ${j}]`;
    const w = d.weights ? d.weights[l - 1].W[i][j] : null;
    const g = d.gradients ? d.gradients[l - 1].W[i][j] : null;
    const from = `${columnName(l - 1, columns)} ${l - 1 === 0 ? i + 1 : `unit ${i}`}`;
    const to = l === columns - 1 ? "ŷ" : `${columnName(l, columns)} unit ${j}`;
    this._fill(
      `${name}, from ${from} to ${to}`,
      [
        line(`weight w = ${fmt(w, 4)}`),
        line(`gradient ∂L/∂w = ${fmt(g, 3)}`),
        line(
          g === null || w === null
            ? "Train a step to see its gradient."
            : `Plain gradient descent moves it by −γ·∂L/∂w: ${g > 0 ? "down" : g < 0 ? "up" : "not at all"}.`,
        ),
      ],
      { edge: `${l}:${i}:${j}` },
    );
  }

  _fill(title, nodes, data) {
    const head = document.createElement("strong");
    head.textContent = title;
    this.tip.replaceChildren(head, ...nodes);
    delete this.tip.dataset.unit;
    delete this.tip.dataset.edge;
    Object.assign(this.tip.dataset, data);
    this.tip.hidden = false;
  }

  _place(px, py) {
    const box = this.diagram.container;
    const width = this.tip.offsetWidth;
    const height = this.tip.offsetHeight;
    const left = px + 14 + width > box.clientWidth ? Math.max(0, px - 14 - width) : px + 14;
    const top = Math.max(0, Math.min(py - height / 2, box.clientHeight - height));
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${top}px`;
  }
}

function line(text) {
  const p = document.createElement("span");
  p.className = "tip-line";
  p.textContent = text;
  return p;
}
