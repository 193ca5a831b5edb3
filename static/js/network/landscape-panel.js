// "The hiker on the network's landscape", the feature: retrain the run so far
// with POST /api/network/landscape, sized to fit the server's bounds, and hand
// the slice to the view (landscape.js).

import { $, app, networkSpec, optimizerSpec, saveState } from "./app.js";
import { postJSON } from "../common/api.js";
import { landscapeResolution, parameterCount } from "./state.js";

const LANDSCAPE = { resolution: 31, span: 1, pathPoints: 150 };
let token = 0;

async function drawLandscape() {
  const epochs = app.run.epoch;
  if (!app.body || epochs < 1) {
    $("land-status").textContent = "Train at least one epoch first: the landscape follows a training run.";
    return;
  }
  const s = app.state;
  const P = parameterCount(s.hidden);
  // keep the recorded path within the server's bound on the trajectory it stores
  const points = Math.max(
    2,
    Math.min(LANDSCAPE.pathPoints, Math.floor(app.limits.max_trajectory_values / P) - 2),
  );
  // and the grid within what is left of the work bound after retraining
  const resolution = landscapeResolution(s, app.limits, epochs, points + 2, LANDSCAPE.resolution);
  if (resolution < 5) {
    $("land-status").textContent =
      `Retraining ${epochs} epochs of a network this size leaves no room in the server's bound on one request ` +
      "for a landscape grid: try it after fewer epochs, or with a smaller network or fewer points.";
    return;
  }
  const body = {
    dataset: app.body.dataset,
    network: networkSpec(),
    optimizer: optimizerSpec(),
    epochs,
    batch_size: s.batchSize,
    l2: s.l2,
    record_every: Math.max(1, Math.ceil(epochs / points)),
    directions: s.directions,
    resolution,
    span: LANDSCAPE.span,
  };
  const mine = ++token;
  $("land-draw").disabled = true;
  $("land-status").textContent =
    `Retraining ${epochs} epochs and measuring the loss at ${resolution ** 2} points of the slice…`;
  try {
    const result = await postJSON("/api/network/landscape", body);
    if (mine !== token) return;
    app.landscapeResult = result;
    $("land-views").hidden = false; // before drawing: the plots take their size from it
    $("land-replay").hidden = false;
    await app.landscape.draw(result, { logHeight: s.logHeight });
    $("netpage").dataset.landscape = "1";
    const ev = result.explained_variance;
    $("land-directions-note").textContent =
      s.directions === "pca" && ev
        ? `α and β are the path's two main directions of travel (PCA); they hold ${Math.round(100 * ev[0])}% and ${Math.round(100 * ev[1])}% of its spread, so this shadow is ${ev[0] + ev[1] > 0.9 ? "a faithful" : "only a partial"} picture.`
        : "α and β are random directions, scaled layer by layer to the weights (filter normalisation): the path's shadow on them is short and can look nothing like the run.";
    $("land-status").textContent =
      `The run to epoch ${epochs} (${result.path.alpha.length} recorded points) on the slice through its final weights.` +
      (app.changedMidRun
        ? " You changed settings during the live run; this retraining used the settings in force now, so its path can differ from it."
        : "");
    app.landscape.play();
  } catch (error) {
    if (mine !== token) return;
    $("land-status").textContent = `The landscape could not be drawn: ${error.message}`;
  } finally {
    if (mine === token) $("land-draw").disabled = false;
  }
}

export function bindLandscape() {
  for (const radio of document.querySelectorAll('input[name="land-dir"]'))
    radio.addEventListener("change", (e) => {
      app.state.directions = e.target.value;
      saveState();
    });
  $("land-log").addEventListener("change", (e) => {
    app.state.logHeight = e.target.checked;
    saveState();
    if (app.landscapeResult) app.landscape.draw(app.landscapeResult, { logHeight: app.state.logHeight });
  });
  $("land-draw").addEventListener("click", drawLandscape);
}
