// The vanishing-gradient experiment, one click each: six sigmoid layers trained
// by plain gradient descent stall at the loss of a coin toss (ln 2 ≈ 0.693)
// while W₁'s gradient is the smallest of all; the same network with tanh or
// ReLU learns the circle. "Switch to Adam" changes only the optimizer, on the
// running network, to show how Adam's per-weight step sizes hide the problem.

import { $, actions, app } from "./app.js";
import { renderLayers, renderOptimizer, syncControls } from "./sidebar.js";
import { hyperparameters } from "./state.js";

// The circle at its defaults, six layers of 8, SGD at a rate where sigmoid stalls, in
// minibatches of 16 (so W₁'s gradient sits about 1,000× below the largest while it stalls).
export const VANISHING = {
  dataset: "circle",
  n: 200,
  noise: 0.1,
  seed: 0,
  testFraction: 0.2,
  points: null,
  hidden: [8, 8, 8, 8, 8, 8],
  weightSeed: 0,
  optimizer: "sgd",
  params: { lr: 0.5 },
  batchSize: 16,
  l2: 0,
  epochs: 2000,
};

function load(activation) {
  Object.assign(app.state, structuredClone(VANISHING), { activation });
  syncControls();
  renderLayers();
  actions.startFresh({ play: true });
}

export function bindExperiment() {
  for (const id of ["preset-sigmoid", "preset-tanh", "preset-relu"])
    $(id).addEventListener("click", (e) => load(e.currentTarget.dataset.activation));
  $("preset-adam").addEventListener("click", () => {
    app.state.optimizer = "adam";
    app.state.params = { lr: 0.03 };
    renderOptimizer();
    actions.applyHyperparameters({ optimizer: "adam", ...hyperparameters(app.state, app.optimizers) });
  });
}
