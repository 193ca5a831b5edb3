// Colour scales painted by hand on a canvas (the map's first look, the network's
// decision boundary), interpolated as Plotly interpolates its own.

/** "#rrggbb" → [r, g, b]. */
export function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/**
 * The colour of `stops` ([[position, [r, g, b]], …], positions from 0 to 1) at t in
 * [0, 1], interpolated in RGB between the stops on either side, as [r, g, b].
 */
export function colourAt(stops, t) {
  let s = 1;
  while (s < stops.length - 1 && stops[s][0] < t) s++;
  const [t0, c0] = stops[s - 1];
  const [t1, c1] = stops[s];
  const f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
  return c0.map((v, ch) => Math.round(v + f * (c1[ch] - v)));
}
