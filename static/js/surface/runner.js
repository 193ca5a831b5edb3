// The run: a descent stream filling each hiker's path, and an animation clock
// that walks the hikers along what has arrived. The hikers move as soon as the
// first chunk lands; a reset or a new run aborts the old stream (which also
// stops the computation on the server).

import { streamDescent } from "../common/api.js";

export const IDLE = "idle"; // no run yet: the hikers wait at their start
export const PLAYING = "playing";
export const PAUSED = "paused";
export const DONE = "done";

function emptyPath() {
  return { x: [], y: [], z: [], grad_x: [], grad_y: [] };
}

export class Runner {
  /**
   * `onFrame()` is called once per animation frame while anything changes;
   * `onState(state)` when the play state changes; `onError(error)` when the
   * stream fails.
   */
  constructor({ onFrame, onState, onError, onEnd }) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.onError = onError;
    this.onEnd = onEnd || (() => {});
    this.speed = 15;
    this.state = IDLE;
    this.runs = [];
    this.cursor = 0;
    this.controller = null;
    this.streaming = false;
    this.rafId = null;
    this.stats = { frames: 0, since: performance.now() };
  }

  /** Hikers at rest at their start points (path of one point each), no stream. */
  setIdle(starts) {
    this.abort();
    this.runs = starts.map((p) => {
      const path = emptyPath();
      if (p) for (const key of Object.keys(path)) path[key].push(p[key]);
      return { path, status: null, verdict: null, steps: null, final: null, nearest: null, label: null };
    });
    this.cursor = 0;
    this._setState(IDLE);
    this._requestFrame();
  }

  abort() {
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.streaming = false;
  }

  /** Start a new stream for `body`; `play` false leaves the hikers paused at step 0. */
  start(body, { play = true } = {}) {
    this.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.pendingStep = false;
    // keep each hiker's start point (known from the idle state) so it stays on screen
    // until the first chunk, which begins at step 0 and replaces it
    const previous = this.runs;
    this.runs = body.runs.map((_, i) => {
      const path = emptyPath();
      const old = previous[i] && previous[i].path;
      if (old && old.x.length && old.x[0] === body.runs[i].start[0] && old.y[0] === body.runs[i].start[1])
        for (const key of Object.keys(path)) path[key].push(old[key][0]);
      return { path, status: null, verdict: null, steps: null, final: null, nearest: null };
    });
    this.cursor = 0;
    this.streaming = true;
    this._setState(play ? PLAYING : PAUSED);
    this._requestFrame();
    streamDescent(body, { signal: controller.signal, onMessage: (m) => this._receive(m, controller) })
      .then(() => {
        if (this.controller === controller) this.streaming = false;
      })
      .catch((error) => {
        if (error.name === "AbortError" || this.controller !== controller) return;
        this.streaming = false;
        this._setState(IDLE);
        this.onError(error);
      });
  }

  _receive(message, controller) {
    if (this.controller !== controller) return; // a message from a stream we dropped
    if (message.type === "start") {
      message.runs.forEach((r, i) => {
        this.runs[i].label = r.label;
        this.runs[i].hyperparameters = r.hyperparameters;
      });
    } else if (message.type === "frames") {
      const path = this.runs[message.run].path;
      // chunks continue where the last one ended: from_step is the index of the first point
      path.x.length =
        path.y.length =
        path.z.length =
        path.grad_x.length =
        path.grad_y.length =
          message.from_step;
      for (const key of ["x", "y", "z", "grad_x", "grad_y"]) {
        const values = message[key];
        for (let i = 0; i < values.length; i++) path[key].push(values[i]);
      }
      if (this.pendingStep && this._reachable() > Math.floor(this.cursor)) {
        this.pendingStep = false;
        this.step();
      }
      this._requestFrame();
    } else if (message.type === "end") {
      const run = this.runs[message.run];
      // what happened, said by the server (API.md, "Verdicts"): the page does not re-derive it
      run.status = message.status;
      run.verdict = message.verdict ?? null;
      run.steps = message.steps;
      run.final = message.final || null;
      run.nearest = message.nearest_minimum ?? null;
      this._requestFrame();
    } else if (message.type === "done") {
      this.streaming = false;
      this._requestFrame();
    }
  }

  play() {
    if (this.state === DONE) this.cursor = 0; // replay from the start
    this._setState(PLAYING);
    this._requestFrame();
  }

  pause() {
    if (this.state === PLAYING) this._setState(PAUSED);
  }

  /** One step forward (pauses). Returns false when there is nothing to step into yet. */
  step() {
    if (this.state === PLAYING) this._setState(PAUSED);
    const next = Math.floor(this.cursor) + 1;
    if (next > this._reachable()) return false;
    this.cursor = next;
    if (this._finished()) this._setState(DONE);
    this._requestFrame();
    return true;
  }

  /** Step once as soon as the first step has arrived (Step pressed before any run). */
  stepWhenReady() {
    if (!this.step()) this.pendingStep = true;
  }

  /** Show step `k` (within what has arrived), back or forward: the scrubber. Pauses a playing run. */
  seek(k) {
    if (this.state === IDLE) return;
    this.pendingStep = false;
    this.cursor = Math.max(0, Math.min(Math.floor(k), this._reachable()));
    this._setState(this._finished() ? DONE : PAUSED);
    this._requestFrame();
  }

  /** The index of the point hiker `i` shows now. */
  shown(i) {
    const n = this.runs[i].path.x.length;
    return Math.max(0, Math.min(Math.floor(this.cursor), n - 1));
  }

  /** Whether hiker `i` has reached the end of its run on screen. */
  arrived(i) {
    const run = this.runs[i];
    return run.status !== null && this.shown(i) >= run.path.x.length - 1;
  }

  // The furthest step the clock may show: the longest path still growing, or the longest path.
  _reachable() {
    let most = 0;
    for (const run of this.runs) most = Math.max(most, run.path.x.length - 1);
    return most;
  }

  _finished() {
    return (
      this.runs.length > 0 && this.runs.every((r) => r.status !== null) && this.cursor >= this._reachable()
    );
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
    if (state === DONE) this.onEnd();
  }

  _requestFrame() {
    if (this.rafId === null) this.rafId = requestAnimationFrame((t) => this._tick(t));
  }

  _tick(now) {
    this.rafId = null;
    const dt = this.lastTick === undefined ? 0 : Math.min(now - this.lastTick, 250);
    this.lastTick = now;
    if (this.state === PLAYING) {
      this.cursor = Math.min(this.cursor + (this.speed * dt) / 1000, this._reachable());
      if (this._finished()) {
        this.cursor = this._reachable();
        this._setState(DONE);
      }
    }
    this.stats.frames += 1;
    this.onFrame();
    if (this.state === PLAYING) this._requestFrame();
    else this.lastTick = undefined;
  }
}
