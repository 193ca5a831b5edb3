// The scrubber: a step slider that moves every hiker back and forth along its path
// (during a run or after it), and ← one step back as → is one step forward. The
// views, readout, charts, equation panel and arrows all draw the runner's shown
// step, so they follow. A paused run's step is in the link (&step=k): a shared
// link runs the lesson paused and shows that step.

import { $, app, saveState } from "./app.js";
import { IDLE, PAUSED } from "./runner.js";

/** The last step any hiker has so far (the scrubber's end). */
function lastStep() {
  let most = 0;
  for (const run of app.runner.runs) most = Math.max(most, run.path.x.length - 1);
  return most;
}

export class Scrubber {
  constructor() {
    this.slider = $("scrub");
    this.out = $("scrub-out");
    this.restoring = null; // a step from the link, shown once the run has reached it
    this.slider.addEventListener("input", () => app.runner.seek(Number(this.slider.value)));
  }

  /** ← : one step back (pauses a playing run). */
  stepBack() {
    if (app.runner.state === IDLE) return;
    app.runner.seek(Math.floor(app.runner.cursor) - 1);
  }

  /** A step from the link: run paused, then show step `k` once it has arrived. */
  restore(k, startRun) {
    if (!(k > 0) || !startRun({ play: false })) return;
    this.restoring = k;
  }

  /** After each drawn frame: the slider follows the run, and the link follows a paused step. */
  follow() {
    const runner = app.runner;
    if (this.restoring !== null) {
      if (runner.state === IDLE)
        this.restoring = null; // the run was reset meanwhile
      else if (lastStep() >= this.restoring || !runner.streaming) {
        const k = this.restoring;
        this.restoring = null;
        runner.seek(k);
      } else return; // still arriving: keep the link's step until it is shown
    }
    const idle = runner.state === IDLE;
    const max = idle ? 0 : lastStep();
    const k = idle ? 0 : Math.min(Math.floor(runner.cursor), max);
    if (this.slider.disabled !== idle) this.slider.disabled = idle;
    if (this.slider.max !== String(max)) this.slider.max = String(max);
    if (this.slider.value !== String(k)) this.slider.value = String(k);
    const text = idle ? "— press Run" : `${k} of ${max}`;
    if (this.out.textContent !== text) {
      this.out.textContent = text;
      this.slider.setAttribute("aria-valuetext", idle ? "no run yet" : `step ${k} of ${max}`);
    }
    const step = runner.state === PAUSED ? k : null;
    if ((app.state.step ?? null) !== step) {
      app.state.step = step;
      saveState();
    }
  }
}
