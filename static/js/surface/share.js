// Sharing a lesson: the link that reproduces it, the paths as CSV or JSON, and
// both views as PNG.

import { $, app } from "./app.js";
import { exportCsv, exportJson, exportLayeredPng, exportPng } from "./export.js";
import { hikerLabel, hyperparameters, startOf } from "./state.js";
import { currentLink } from "./url-state.js";

export function bindShare() {
  $("copy-link").addEventListener("click", async () => {
    const link = currentLink(app.state);
    history.replaceState(null, "", link);
    try {
      await navigator.clipboard.writeText(link);
      $("copy-status").textContent = "Link copied: it reproduces this lesson.";
    } catch {
      $("copy-status").textContent = `Copy this link: ${link}`;
    }
  });
  $("export-csv").addEventListener("click", () => exportCsv(exportRuns()));
  $("export-json").addEventListener("click", () =>
    exportJson({
      link: currentLink(app.state),
      surface: app.state.surface,
      max_steps: app.state.maxSteps,
      tolerance: app.state.tolerance,
      gradient_noise: app.state.noise,
      seed: app.state.seed,
      runs: exportRuns(),
    }),
  );
  $("png-3d").addEventListener("click", () => {
    app.view.flush3d();
    exportPng($("plot3d"), "gradient-hiker-3d");
  });
  $("png-map").addEventListener("click", () =>
    exportLayeredPng([app.view.mapBack, app.view.mapFront], "gradient-hiker-map"),
  );
}

function exportRuns() {
  return app.runner.runs.map((run, i) => {
    const h = app.state.hikers[i];
    return {
      label: hikerLabel(h, app.optimizers),
      optimizer: h.optimizer,
      hyperparameters: hyperparameters(h, app.optimizers),
      start: startOf(app.state, i, app.info),
      status: run.status,
      verdict: run.verdict,
      final: run.final,
      nearest_minimum: run.nearest,
      steps: run.steps,
      path: run.path,
    };
  });
}
