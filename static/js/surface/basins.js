// The basin map: every start point on a grid coloured by the minimum the current
// optimizer reaches from it (POST /api/basins), ready for a Plotly heatmap, with
// its legend; recomputed (debounced) when the hiker or the stopping rule changes.

import { $, actions, app } from "./app.js";
import { api } from "../common/api.js";
import { hikerLabel } from "./state.js";
import { fmt } from "../common/format.js";
import { BASIN_COLOURS, BASIN_DIVERGED, BASIN_NONE } from "../common/surface-view.js";

export const BASIN_RESOLUTION = 64;

// Category values in the heatmap: minimum i → i; not at a known minimum → −1; diverged → −2.
const NONE = -1;
const DIVERGED = -2;

/** A stepped colour scale mapping each integer category to its own colour. */
function stepped(colours, zmin, zmax) {
  const scale = [];
  const span = zmax - zmin + 1;
  colours.forEach((colour, i) => {
    scale.push([i / span, colour], [(i + 1) / span, colour]);
  });
  return scale;
}

async function computeBasins({ surface, info, optimizer, maxSteps, tolerance, signal }) {
  // the API bounds resolution² × steps; keep the map responsive
  const steps = Math.min(maxSteps, 10000, Math.floor(50_000_000 / BASIN_RESOLUTION ** 2));
  const data = await api.basins(
    { surface, optimizer, resolution: BASIN_RESOLUTION, max_steps: steps, tolerance },
    signal,
  );
  const minima = data.minima || info.minima || [];
  const category = data.minimum.map((row, i) =>
    row.map((m, j) => (data.status[i][j] === "diverged" ? DIVERGED : m >= 0 ? m : NONE)),
  );
  const text = data.minimum.map((row, i) =>
    row.map((m, j) => {
      const start = `start (${fmt(data.x[j], 3)}, ${fmt(data.y[i], 3)})`;
      const status = data.status[i][j];
      if (status === "diverged") return `${start}<br>diverged at step ${data.steps[i][j]}`;
      if (m >= 0) {
        const mm = minima[m];
        return `${start}<br>→ ${mm.global ? "global" : "local"} minimum (${fmt(mm.x, 3)}, ${fmt(mm.y, 3)}) in ${data.steps[i][j]} steps`;
      }
      return `${start}<br>${status === "converged" ? "stopped away from a known minimum" : "no minimum within max steps"}`;
    }),
  );
  const colours = [
    BASIN_DIVERGED,
    BASIN_NONE,
    ...minima.map((_, i) => BASIN_COLOURS[i % BASIN_COLOURS.length]),
  ];
  const zmin = DIVERGED;
  const zmax = minima.length ? minima.length - 1 : NONE;
  return {
    x: data.x,
    y: data.y,
    category,
    text,
    zmin,
    zmax,
    colorscale: stepped(colours.slice(0, zmax - zmin + 1), zmin, zmax),
    legend: [
      ...minima.map((m, i) => ({
        colour: BASIN_COLOURS[i % BASIN_COLOURS.length],
        text: `${m.global ? "global" : "local"} minimum (${fmt(m.x, 3)}, ${fmt(m.y, 3)})`,
      })),
      { colour: BASIN_NONE, text: "no known minimum reached" },
      { colour: BASIN_DIVERGED, text: "diverged" },
    ],
    steps,
  };
}

function renderLegend(element, basins) {
  element.replaceChildren();
  for (const item of basins.legend) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = item.colour;
    swatch.setAttribute("aria-hidden", "true");
    li.append(swatch, document.createTextNode(item.text));
    element.append(li);
  }
}

/** Compute the basin map for the selected hiker and (unless `draw` is false) redraw the surface with it. */
export async function updateBasins({ draw = true } = {}) {
  if (app.basinController) app.basinController.abort();
  const controller = new AbortController();
  app.basinController = controller;
  const hiker = app.state.hikers[app.state.selected];
  $("basin-info").hidden = false;
  $("basin-status").textContent = `Mapping where ${hikerLabel(hiker, app.optimizers)} ends from each start…`;
  try {
    app.basins = await computeBasins({
      surface: app.state.surface,
      info: app.info,
      optimizer: { optimizer: hiker.optimizer, ...hiker.params },
      maxSteps: app.state.maxSteps,
      tolerance: app.state.tolerance,
      signal: controller.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    $("basin-status").textContent = `The basin map could not be computed: ${error.message}`;
    app.basins = null;
    return;
  }
  if (controller !== app.basinController) return;
  renderLegend($("basin-legend"), app.basins);
  $("basin-status").textContent =
    `Colour = the minimum that ${hikerLabel(hiker, app.optimizers)} reaches from each start (${app.basins.x.length}×${app.basins.y.length} starts, up to ${app.basins.steps} steps). Click a cell to send the hiker from there.`;
  if (draw) await actions.redrawSurface();
}

let basinTimer = null;
export function scheduleBasins() {
  if (app.state.view !== "basins") return;
  clearTimeout(basinTimer);
  basinTimer = setTimeout(() => updateBasins(), 300);
}
