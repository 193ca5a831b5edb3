// "The hiker on the network's landscape": the reply of POST /api/network/landscape
// drawn with the surface explorer's own view (3D surface and map from above,
// surface-view.js) and its trail (trail.js), with one hiker replaying the
// training path, epoch by epoch. The height is the training loss on the plane
// through the final weights; the path is the training run projected onto it.

import { fmt } from "../common/format.js";
import { DEFAULT_CAMERA } from "../common/surface-traces.js";
import { SurfaceView } from "../common/surface-view.js";
import { Trail } from "../common/trail.js";

const HIKER = { colour: "#e6194b", label: "the training run" };
const REPLAY_SECONDS = 5;

/** The surface page's camera, stepped back on a narrow screen so the tick labels stay in the picture. */
function cameraFor(width) {
  const back = width < 520 ? 1.45 : width < 760 ? 1.2 : 1;
  const eye = DEFAULT_CAMERA.eye;
  return { ...DEFAULT_CAMERA, eye: { x: eye.x * back, y: eye.y * back, z: eye.z * back } };
}

function height(value, log) {
  if (value === null || value === undefined) return null;
  return log ? Math.log10(Math.max(value, 1e-12)) : value;
}

export class LandscapeView {
  constructor({ el3d, elMap, hoverEl, slider, playButton, readout, onState }) {
    this.slider = slider;
    this.playButton = playButton;
    this.readout = readout;
    this.onState = onState || (() => {});
    this.result = null;
    this.k = 0;
    this.playing = false;
    this.rafId = null;
    this.view = new SurfaceView(el3d, elMap, {
      hoverEl,
      labels: { x: "α", y: "β", f: "loss", z: "loss" },
      onMapClick: (point) => this._seekNear(point),
    });
    slider.addEventListener("input", () => {
      this.pause();
      this.seek(Number(slider.value));
    });
    playButton.addEventListener("click", () => (this.playing ? this.pause() : this.play()));
  }

  /** Draw a landscape reply; `logHeight` puts log₁₀ of the loss on the height axis. */
  async draw(result, { logHeight }) {
    this.pause();
    this.result = result;
    this.logHeight = logHeight;
    const name = logHeight ? "log₁₀ loss" : "loss";
    this.view.labels = { ...this.view.labels, f: name, z: name };
    const p = result.path;
    this.path = {
      x: p.alpha,
      y: p.beta,
      z: p.loss.map((v) => height(v, logHeight)),
    };
    this.trail = new Trail(this.path);
    const span = (values) => [values[0], values[values.length - 1]];
    await this.view.draw({
      surface: { x_range: span(result.alpha), y_range: span(result.beta), minima: [] },
      mesh: {
        x: result.alpha,
        y: result.beta,
        z: result.loss.map((row) => row.map((v) => height(v, logHeight))),
      },
      logColour: false,
      basins: null,
      hikers: [HIKER],
      camera: cameraFor(this.view.el3d.clientWidth),
    });
    this.slider.max = String(p.alpha.length - 1);
    this.slider.disabled = false;
    this.playButton.disabled = false;
    this.seek(0);
  }

  seek(k) {
    if (!this.result) return;
    const n = this.path.x.length;
    this.k = Math.max(0, Math.min(n - 1, Math.round(k)));
    const at =
      this.path.x[this.k] === null ? null : [this.path.x[this.k], this.path.y[this.k], this.path.z[this.k]];
    // no gradient arrow: the run's real step is not along this slice's slope
    this.view.update([{ trail: this.trail.to(this.k), at, grad: [0, 0] }], { force3d: !this.playing });
    this.slider.value = String(this.k);
    const p = this.result.path;
    const epoch = p.epoch ? p.epoch[this.k] : this.k;
    this.slider.setAttribute("aria-valuetext", `epoch ${epoch}`);
    this.readout.textContent =
      `Epoch ${epoch}: the network's loss was ${fmt(p.train_loss ? p.train_loss[this.k] : null, 4)}; ` +
      `its shadow on this slice sits at ${fmt(p.loss[this.k], 4)}.`;
    this.onState({ k: this.k, last: n - 1, playing: this.playing });
  }

  _seekNear([a, b]) {
    if (!this.result) return;
    let best = 0;
    let bestD = Infinity;
    this.path.x.forEach((x, i) => {
      const d = (x - a) ** 2 + (this.path.y[i] - b) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    });
    this.pause();
    this.seek(best);
  }

  /** Replay the run from the start (or on from where it is) in about five seconds. */
  play() {
    if (!this.result) return;
    const n = this.path.x.length;
    if (this.k >= n - 1) this.seek(0);
    this.playing = true;
    this.playButton.textContent = "❚❚ Pause";
    const from = this.k;
    const started = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      const k = from + ((now - started) / 1000 / REPLAY_SECONDS) * (n - 1);
      if (k >= n - 1) {
        this.playing = false;
        this.playButton.textContent = "▶ Replay";
        this.seek(n - 1);
        return;
      }
      if (Math.floor(k) !== this.k) this.seek(Math.floor(k));
      this.rafId = requestAnimationFrame(tick);
    };
    this.rafId = requestAnimationFrame(tick);
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.rafId);
    this.playButton.textContent = "▶ Replay";
    this.seek(this.k);
  }
}
