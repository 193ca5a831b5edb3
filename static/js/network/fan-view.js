// The network's learning-rate fan, drawn: one small loss chart per rate, side by
// side on the same axes so they compare at a glance, each titled with its rate
// and the server's verdict.

import { fmt, plain } from "../common/format.js";
import { plotConfig } from "./charts.js";
import { verdictBadge, verdictWords } from "./verdicts.js";

const Plotly = window.Plotly;
const COLOURS = ["#4363d8", "#3cb44b", "#1d2330", "#f58231", "#e6194b"];

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Draw `runs` ({lr, status, verdict, history}) into `box`, `task` deciding what the caption says. */
export async function drawFan(box, runs, { task }) {
  const losses = runs.flatMap((r) => r.history.map((e) => e.train_loss)).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...losses));
  const hi = Math.log10(Math.max(...losses));
  const pad = Math.max(0.1, 0.05 * (hi - lo));
  const lastEpoch = Math.max(...runs.map((r) => (r.history.length ? r.history[r.history.length - 1].epoch : 0)), 1);
  box.replaceChildren();
  const drawn = runs.map((run, k) => {
    const plot = h("div", { class: "plot", role: "img", "aria-label": `Loss per epoch at learning rate ${plain(run.lr)}` });
    const last = run.history[run.history.length - 1];
    const words = verdictWords(run.verdict);
    const final =
      last && task === "classification"
        ? `loss ${fmt(last.train_loss, 3)}, accuracy ${Math.round(100 * last.train_accuracy)}%`
        : last
          ? `loss ${fmt(last.train_loss, 3)}`
          : "no finite epoch";
    const figure = h(
      "figure",
      { class: "fan-run", "data-lr": plain(run.lr), "data-verdict": run.verdict || "" },
      h("figcaption", {}, h("strong", {}, `γ = ${plain(run.lr)}`), verdictBadge(run.verdict)),
      plot,
      h("p", { class: "fan-final" }, `${final}${run.status === "diverged" ? " (then it blew up)" : ""}${words ? ` — ${words.say}` : ""}`),
    );
    box.append(figure);
    const trace = {
      type: "scatter",
      mode: "lines",
      x: run.history.map((e) => e.epoch),
      y: run.history.map((e) => (e.train_loss > 0 ? e.train_loss : null)),
      line: { color: COLOURS[k % COLOURS.length], width: 2 },
      hovertemplate: "epoch %{x}: loss %{y:.4g}<extra></extra>",
    };
    const layout = {
      margin: { l: 40, r: 6, t: 6, b: 28 },
      paper_bgcolor: "rgba(0,0,0,0)",
      showlegend: false,
      xaxis: { range: [0, lastEpoch], fixedrange: true, nticks: 4 },
      yaxis: { type: "log", range: [lo - pad, hi + pad], fixedrange: true, exponentformat: "power", nticks: 4 },
    };
    return Plotly.react(plot, [trace], layout, plotConfig({ displayModeBar: false }));
  });
  await Promise.all(drawn);
}
