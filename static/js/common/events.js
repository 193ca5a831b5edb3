// What a page's run produced, said out loud: a page publishes a result on its own
// window as a CustomEvent, and whoever cares listens there. The lesson panel does,
// from the page it shows in a frame beside it (same origin), to check the learner's
// task; the page itself needs nothing back.
//
// A result is {kind, final, ...}:
//   kind "descent"  (surface page, when a run has played to its end)
//     hikers: [{label, optimizer, lr, start, status, verdict, steps,
//               minimum: {x, y, z, global, reached} | null}]
//   kind "training" (network page, on every epoch message and when the run ends)
//     final (true once the run is done), epoch, verdict, status, lr,
//     test_accuracy, train_accuracy, records: every recorded epoch so far
//   kind "gradient-check" (network page, backprop beside nudging)
//     parameters, relative_error, cost: {backprop: {...}, finite_difference: {...}}
//   kind "backprop" (network page, one example's walk, at each step shown)
//     step, steps, phase ("forward" | "backward"), layer

export const RESULT_EVENT = "gradient-hiker:result";

/** Tell whoever listens on this window what a run produced. */
export function publish(kind, detail) {
  window.dispatchEvent(new CustomEvent(RESULT_EVENT, { detail: { kind, ...detail } }));
}

/** Call `listener(result)` for each result published on `target` (a window); returns the unsubscribe. */
export function subscribe(target, listener) {
  const handler = (event) => listener(event.detail);
  target.addEventListener(RESULT_EVENT, handler);
  return () => target.removeEventListener(RESULT_EVENT, handler);
}
