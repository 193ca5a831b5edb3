// The vanishing-gradient experiment, one click each: six sigmoid layers trained
// by plain gradient descent stall at the loss of a coin toss (ln 2 ≈ 0.693)
// while W₁'s gradient is the smallest of all; the same network with tanh or
// ReLU learns the circle; the same sigmoid network trained by Adam (from the same
// starting weights) learns too: its per-weight step sizes hide the problem.
// (Switching a run that has already stalled to Adam does not always rescue it:
// by then some units are saturated for good.)

import { $, actions, app } from "./app.js";
import { renderLayers, syncControls } from "./sidebar.js";

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

// The same, trained by Adam: each weight's step divided by its own gradient's size.
const ADAM = { optimizer: "adam", params: { lr: 0.01 } };

function load(activation, changes = {}) {
  Object.assign(app.state, structuredClone(VANISHING), { activation }, structuredClone(changes));
  syncControls();
  renderLayers();
  actions.startFresh({ play: true });
}

export function bindExperiment() {
  for (const id of ["preset-sigmoid", "preset-tanh", "preset-relu"])
    $(id).addEventListener("click", (e) => load(e.currentTarget.dataset.activation));
  $("preset-adam").addEventListener("click", () => load("sigmoid", ADAM));
}
