// The ghost path: the whole path the selected hiker would take, fetched while the
// learner edits (drags the learning rate, types a hyperparameter, drags the start
// on the map) as one small POST /api/descent per change.
//
// A newer change supersedes an older one. While the ghost on screen is fresh (drawn
// in the last LIVE_MS) a request in flight is aborted for the newer one, so the
// last input's path comes as soon as the server can answer; once the screen is
// older than that, the request in flight is let to land and drawn (it is newer
// than what is shown), and the newest change goes next: a continuous drag still
// bends the path several times a second instead of aborting every request.

import { postJSON } from "../common/api.js";

const LIVE_MS = 150;

export class GhostRequests {
  /**
   * `onResult(spec, run)` draws a run (`runs[0]` of the reply) and may return a
   * promise that resolves once drawn; `onError(spec, error)` says why there is none.
   */
  constructor({ onResult, onError }) {
    this.onResult = onResult;
    this.onError = onError;
    this.wanted = null;
    this.inflight = null;
    this.pending = null;
    this.drawnAt = -Infinity;
    this.counts = { sent: 0, aborted: 0 }; // for the tests: how the requests went
  }

  /**
   * Ask for the ghost of `spec` = {key, context, body}: `key` names the body,
   * `context` what a ghost belongs to (surface and hiker): one of another context
   * is never drawn over this one.
   */
  want(spec) {
    if (this.wanted && spec.key === this.wanted.key) return;
    this.wanted = spec;
    const flight = this.inflight;
    if (flight) {
      const useless = flight.spec.context !== spec.context;
      const fresh = performance.now() - this.drawnAt < LIVE_MS;
      if (!useless && !fresh) {
        this.pending = spec;
        return;
      }
      flight.controller.abort();
      this.counts.aborted += 1;
      this.inflight = null;
    }
    this._send(spec);
  }

  /** No ghost wanted (nothing valid to show): drop what is in flight. */
  clear() {
    if (this.inflight) this.inflight.controller.abort();
    this.inflight = null;
    this.pending = null;
    this.wanted = null;
  }

  async _send(spec) {
    const flight = { spec, controller: new AbortController() };
    this.counts.sent += 1;
    this.inflight = flight;
    this.pending = null;
    try {
      const reply = await postJSON("/api/descent", spec.body, flight.controller.signal);
      if (this.inflight !== flight) return;
      this.inflight = null;
      await this.onResult(spec, reply.runs[0]);
      this.drawnAt = performance.now();
    } catch (error) {
      if (error.name === "AbortError" || this.inflight !== flight) return; // superseded: not a failure
      this.inflight = null;
      this.onError(spec, error);
    }
    if (!this.inflight && this.pending) this._send(this.pending);
  }
}

/**
 * Dragging on the map previews a start: `onMove([x, y])` while the mouse is
 * held and moved, `onDrop([x, y])` when it is let go after a drag. A plain
 * click is left to the map's own click handler (which sets the start).
 */
export function wireStartDrag(mapEl, { toPoint, onMove, onDrop }) {
  let drag = null;
  let dropped = false;
  const pointAt = (event) => {
    const r = drag.rect;
    const fx = Math.min(1, Math.max(0, (event.clientX - r.left) / r.width));
    const fy = Math.min(1, Math.max(0, (event.clientY - r.top) / r.height));
    return toPoint(fx, fy);
  };
  const move = (event) => {
    if (!drag) return;
    if (!drag.moved && Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 5) return;
    drag.moved = true;
    drag.point = pointAt(event);
    onMove(drag.point);
  };
  const up = () => {
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", up);
    const done = drag;
    drag = null;
    if (!done || !done.moved) return;
    // the browser may still send the map a click at the drop point: the drop sets the start
    dropped = true;
    setTimeout(() => (dropped = false), 0);
    onDrop(done.point);
  };
  mapEl.addEventListener(
    "pointerdown",
    (event) => {
      const layer = event.target.closest && event.target.closest(".nsewdrag");
      if (!layer || event.button !== 0 || event.pointerType === "touch") return;
      drag = { rect: layer.getBoundingClientRect(), x: event.clientX, y: event.clientY, moved: false };
      // Plotly covers the page while the mouse is down: follow the mouse on the document
      document.addEventListener("pointermove", move);
      document.addEventListener("pointerup", up);
    },
    true,
  );
  mapEl.addEventListener(
    "click",
    (event) => {
      if (dropped) event.stopPropagation();
    },
    true,
  );
}
