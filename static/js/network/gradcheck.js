// "Backprop vs nudging": POST /api/network/gradients for the network as it is now,
// then the two gradients side by side (the digits they share marked), what each
// cost in passes through the network and in time, and what that means, in words.

import { fmt, subscript } from "../common/format.js";

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/** Seconds as words a person reads: 35 µs, 4.2 ms, 1.3 s. */
export function duration(seconds) {
  if (seconds < 1e-3) return `${Number((seconds * 1e6).toPrecision(2))} µs`;
  if (seconds < 1) return `${Number((seconds * 1e3).toPrecision(2))} ms`;
  return `${Number(seconds.toPrecision(2))} s`;
}

/** A number in 10 significant digits, the leading digits it shares with `other` marked. */
function digits(value, other) {
  const a = value.toPrecision(10);
  const b = other.toPrecision(10);
  let same = 0;
  while (same < a.length && a[same] === b[same]) same++;
  const span = h("span", { class: "digits" });
  if (same) span.append(h("mark", {}, a.slice(0, same)));
  span.append(a.slice(same));
  return span;
}

/** The `count` entries with the largest backprop gradient, over every layer's W and b. */
function largest(layers, count) {
  const all = [];
  for (const layer of layers) {
    const l = subscript(layer.layer);
    layer.grad_W.forEach((row, i) =>
      row.forEach((g, j) => all.push({ name: `W${l}[${i}, ${j}]`, bp: g, fd: layer.fd_grad_W[i][j] })),
    );
    layer.grad_b.forEach((g, j) => all.push({ name: `b${l}[${j}]`, bp: g, fd: layer.fd_grad_b[j] }));
  }
  return all
    .filter((e) => e.bp !== null && e.fd !== null)
    .sort((x, y) => Math.abs(y.bp) - Math.abs(x.bp))
    .slice(0, count);
}

/** How many significant digits two gradients share, from their relative error. */
export function agreeingDigits(relativeError) {
  if (!(relativeError > 0)) return 15;
  return Math.max(0, Math.min(15, Math.floor(-Math.log10(relativeError))));
}

/** Render a reply of POST /api/network/gradients into `box`, for the network at `epoch`. */
export function renderCheck(box, result, { epoch }) {
  const P = result.parameters;
  const bp = result.cost.backprop;
  const fd = result.cost.finite_difference;
  const agree = agreeingDigits(result.relative_error);
  const ratio = fd.seconds / Math.max(bp.seconds, 1e-9);

  const verdict = h(
    "p",
    { class: "check-verdict", "data-agree": String(agree) },
    agree >= 5 ? "✓ They agree " : "✗ They differ: ",
    h("strong", {}, `to ${agree} significant digits`),
    ` over all ${P} weights and biases (largest difference ${fmt(result.max_abs_difference, 2)}, relative error ${fmt(result.relative_error, 2)}), for the network at epoch ${epoch}, loss ${fmt(result.loss, 4)}.`,
  );

  const rows = largest(result.layers, 6).map((e) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, e.name),
      h("td", {}, digits(e.bp, e.fd)),
      h("td", {}, digits(e.fd, e.bp)),
    ),
  );
  const table = h(
    "table",
    { class: "check-table" },
    h("caption", {}, "The six largest gradients, both ways (shared digits marked)"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "weight"),
        h("th", { scope: "col" }, "backprop"),
        h("th", { scope: "col" }, "nudging"),
      ),
    ),
    h("tbody", {}, ...rows),
  );

  const longest = Math.max(bp.seconds, fd.seconds, 1e-9);
  const bar = (seconds, cls) => {
    const fill = h("span", { class: `cost-fill ${cls}` });
    fill.style.width = `${Math.max(0.5, (100 * seconds) / longest)}%`;
    return h("span", { class: "cost-track", "aria-hidden": "true" }, fill);
  };
  const costs = h(
    "dl",
    { class: "check-costs" },
    h("dt", {}, "Backprop"),
    h(
      "dd",
      { id: "cost-backprop" },
      h("span", { class: "passes" }, `${bp.forward_passes} forward + ${bp.backward_passes} backward pass`),
      ` · ${duration(bp.seconds)}`,
      bar(bp.seconds, "bp"),
    ),
    h("dt", {}, "Nudging"),
    h(
      "dd",
      { id: "cost-nudging", "data-forward-passes": String(fd.forward_passes), "data-parameters": String(P) },
      h("span", { class: "passes" }, `2 × ${P} = ${fd.forward_passes} forward passes`),
      ` · ${duration(fd.seconds)}`,
      bar(fd.seconds, "fd"),
    ),
  );

  const words = h(
    "p",
    { class: "explain" },
    `Nudging moves one weight at a time a tiny ε = ${fmt(result.epsilon ?? 1e-6)} up and down and runs the network forward twice to see how the loss changes: `,
    h("strong", {}, `${fd.forward_passes} passes`),
    ` for ${P} weights. Backpropagation gets all ${P} at once from one pass forward and one back, by the chain rule — `,
    h(
      "strong",
      {},
      ratio >= 1.5 ? `${Math.round(ratio)}× faster here` : "about as fast on a network this tiny",
    ),
    ", and the gap grows with the network: nudging costs 2 passes per weight, backprop about 3 passes whatever the size.",
  );
  box.replaceChildren(verdict, costs, table, words);
}
