// Is a layer's gradient vanishing or exploding? Not "is it small": a network
// that has learned has small gradients everywhere, and that is healthy. What
// matters is how the layers compare, because backprop carries the error from
// the output down to the input one layer at a time:
//
//   vanishing  the layer's ‖∂L/∂W‖ is at least 100× smaller than the largest
//              layer's, and that largest layer lies nearer the output: the
//              error shrank on its way down;
//   exploding  the layer's ‖∂L/∂W‖ is at least 100× larger than a layer's
//              nearer the output: the error grew on its way down.
//
// Layer 1 is nearest the input; the last layer is the output's.

export const HEALTH_RATIO = 100;

/**
 * For each layer's gradient norm (in order, input side first): its ratio to the
 * largest layer's and its health, "ok" | "vanishing" | "exploding".
 */
export function gradientHealth(norms) {
  const values = norms.map((g) => (Number.isFinite(g) && g >= 0 ? g : null));
  const largest = Math.max(0, ...values.filter((g) => g !== null));
  const argmax = values.indexOf(largest);
  return values.map((g, l) => {
    if (g === null || !(largest > 0)) return { ratio: null, health: "ok" };
    const ratio = g / largest;
    const nearerOutput = values.slice(l + 1).filter((v) => v !== null);
    let health = "ok";
    if (ratio * HEALTH_RATIO <= 1 && argmax > l) health = "vanishing";
    else if (nearerOutput.some((v) => v > 0 && g >= HEALTH_RATIO * v)) health = "exploding";
    return { ratio, health };
  });
}
