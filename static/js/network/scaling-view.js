// "Why backprop", drawn: the measured seconds of one gradient by backprop and by
// nudging every weight, against the number of weights, on log-log axes. Nudging
// climbs like P (2P forward passes), backprop stays nearly flat (1 forward and
// 1 backward pass); the network on the page is marked where it sits.

import { fmt } from "../common/format.js";
import { plotConfig } from "./charts.js";

const Plotly = window.Plotly;
const BACKPROP = "#1e7b34"; // as the cost bars of the check
const NUDGING = "#c46a00";

/** Draw the reply of POST /api/network/gradients/scaling; `P` marks the page's network. */
export function drawScaling(el, reply, { P }) {
  const nets = reply.networks;
  const x = nets.map((n) => n.parameters);
  const name = (n) => `[${n.hidden.join(", ")}]`;
  const trace = (label, colour, seconds, extra = {}) => ({
    type: "scatter",
    mode: "lines+markers",
    name: label,
    x,
    y: seconds,
    customdata: nets.map(name),
    line: { color: colour, width: 2 },
    marker: { size: 7, color: colour, ...extra.marker },
    hovertemplate: `${label}: %{y:.3s}s for P = %{x} weights (hidden %{customdata})<extra></extra>`,
  });
  const guessed = nets.map((n) => n.finite_difference.extrapolated);
  const traces = [
    trace(
      "nudging (2P forward passes)",
      NUDGING,
      nets.map((n) => n.finite_difference.seconds),
      { marker: { symbol: guessed.map((g) => (g ? "circle-open" : "circle")) } },
    ),
    trace(
      "backprop (1 forward + 1 backward)",
      BACKPROP,
      nets.map((n) => n.backprop.seconds),
    ),
  ];
  const layout = {
    margin: { l: 54, r: 10, t: 26, b: 38 },
    paper_bgcolor: "rgba(0,0,0,0)",
    hovermode: "closest",
    legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", font: { size: 11 } },
    xaxis: { type: "log", title: { text: "weights and biases P", standoff: 2 }, exponentformat: "power" },
    yaxis: { type: "log", title: { text: "seconds", standoff: 2 }, exponentformat: "power" },
    shapes: P
      ? [{ type: "line", xref: "x", yref: "paper", x0: P, x1: P, y0: 0, y1: 1, line: { color: "#5b6475", dash: "dot", width: 1.5 } }]
      : [],
    annotations: P
      ? [{ text: `yours: P = ${P}`, xref: "x", yref: "paper", x: Math.log10(P), y: 0.02, xanchor: "left", showarrow: false, font: { size: 10, color: "#5b6475" } }]
      : [],
  };
  const first = nets[0];
  const last = nets[nets.length - 1];
  const ratio = (n) => n.finite_difference.seconds / n.backprop.seconds;
  const words =
    `Measured on ${reply.points} training points, from P = ${first.parameters} to P = ${last.parameters} weights: ` +
    `nudging takes ${fmt(first.finite_difference.seconds, 2)} s to ${fmt(last.finite_difference.seconds, 2)} s, ` +
    `backprop ${fmt(first.backprop.seconds, 2)} s to ${fmt(last.backprop.seconds, 2)} s. ` +
    `Nudging is ${Math.round(ratio(first))}× slower on the smallest network and ` +
    `${Math.round(ratio(last)).toLocaleString("en")}× on the largest: its cost grows with P, backprop's far less. ` +
    (guessed.some(Boolean)
      ? "Hollow points: nudging every weight would take too long, so a few nudges were timed and multiplied by 2P."
      : "");
  return { ready: Plotly.react(el, traces, layout, plotConfig()), words };
}
