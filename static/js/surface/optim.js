// torch.optim's update rules for one hiker (a 2-vector), replayed in the browser
// from the streamed path so the equation panel can show every intermediate
// quantity (momentum buffer, squared-gradient average, bias corrections…).
// Same formulas and order of operations as app/optim.py; `step` returns the
// intermediates of that step as plain numbers.

const add = (a, b) => [a[0] + b[0], a[1] + b[1]];
const sub = (a, b) => [a[0] - b[0], a[1] - b[1]];
const scale = (a, s) => [a[0] * s, a[1] * s];
const mul = (a, b) => [a[0] * b[0], a[1] * b[1]];
const div = (a, b) => [a[0] / b[0], a[1] / b[1]];
const sqrt = (a) => [Math.sqrt(a[0]), Math.sqrt(a[1])];
const addScalar = (a, s) => [a[0] + s, a[1] + s];
const lerp = (start, end, w) =>
  Math.abs(w) < 0.5 ? add(start, scale(sub(end, start), w)) : sub(end, scale(sub(end, start), 1 - w));
const zeros = () => [0, 0];

function sgd(h) {
  let buf = null;
  return (theta, g0) => {
    const out = { g0 };
    let g = g0;
    if (h.weight_decay) {
      g = add(g, scale(theta, h.weight_decay));
      out.gDecayed = g;
    }
    if (h.momentum) {
      out.bufPrev = buf;
      buf = buf === null ? g.slice() : add(scale(buf, h.momentum), scale(g, 1 - h.dampening));
      out.buf = buf;
      g = h.nesterov ? add(g, scale(buf, h.momentum)) : buf;
      if (h.nesterov) out.gNesterov = g;
    }
    out.direction = g;
    out.update = scale(g, -h.lr);
    out.next = add(theta, out.update);
    return out;
  };
}

function adagrad(h) {
  let step = 0;
  let sum = [h.initial_accumulator_value, h.initial_accumulator_value];
  return (theta, g0) => {
    step += 1;
    const out = { g0, t: step };
    let g = g0;
    if (h.weight_decay) {
      g = add(g, scale(theta, h.weight_decay));
      out.gDecayed = g;
    }
    out.clr = h.lr / (1 + (step - 1) * h.lr_decay);
    out.sumPrev = sum;
    sum = add(sum, mul(g, g));
    out.sum = sum;
    out.std = addScalar(sqrt(sum), h.eps);
    out.update = scale(div(g, out.std), -out.clr);
    out.next = add(theta, out.update);
    return out;
  };
}

function rmsprop(h) {
  let step = 0;
  let squareAvg = zeros();
  let gradAvg = zeros();
  let buf = zeros();
  return (theta, g0) => {
    step += 1;
    const out = { g0, t: step };
    let g = g0;
    if (h.weight_decay) {
      g = add(g, scale(theta, h.weight_decay));
      out.gDecayed = g;
    }
    out.squareAvgPrev = squareAvg;
    squareAvg = add(scale(squareAvg, h.alpha), scale(mul(g, g), 1 - h.alpha));
    out.squareAvg = squareAvg;
    let avg;
    if (h.centered) {
      out.gradAvgPrev = gradAvg;
      gradAvg = lerp(gradAvg, g, 1 - h.alpha);
      out.gradAvg = gradAvg;
      avg = sqrt(sub(squareAvg, mul(gradAvg, gradAvg)));
    } else {
      avg = sqrt(squareAvg);
    }
    out.avg = addScalar(avg, h.eps);
    if (h.momentum) {
      out.bufPrev = buf;
      buf = add(scale(buf, h.momentum), div(g, out.avg));
      out.buf = buf;
      out.update = scale(buf, -h.lr);
    } else {
      out.update = scale(div(g, out.avg), -h.lr);
    }
    out.next = add(theta, out.update);
    return out;
  };
}

function adamFamily(h, decoupled) {
  let step = 0;
  let expAvg = zeros();
  let expAvgSq = zeros();
  let maxExpAvgSq = zeros();
  const [beta1, beta2] = h.betas;
  return (thetaIn, g0) => {
    step += 1;
    const out = { g0, t: step };
    let theta = thetaIn;
    let g = g0;
    if (h.weight_decay) {
      if (decoupled) {
        theta = scale(theta, 1 - h.lr * h.weight_decay);
        out.thetaDecayed = theta;
      } else {
        g = add(g, scale(theta, h.weight_decay));
        out.gDecayed = g;
      }
    }
    out.expAvgPrev = expAvg;
    out.expAvgSqPrev = expAvgSq;
    expAvg = lerp(expAvg, g, 1 - beta1);
    expAvgSq = add(scale(expAvgSq, beta2), scale(mul(g, g), 1 - beta2));
    out.expAvg = expAvg;
    out.expAvgSq = expAvgSq;
    out.bc1 = 1 - beta1 ** step;
    out.bc2 = 1 - beta2 ** step;
    out.mHat = scale(expAvg, 1 / out.bc1);
    let second = expAvgSq;
    if (h.amsgrad) {
      maxExpAvgSq = [Math.max(maxExpAvgSq[0], expAvgSq[0]), Math.max(maxExpAvgSq[1], expAvgSq[1])];
      out.maxExpAvgSq = maxExpAvgSq;
      second = maxExpAvgSq;
    }
    out.vHat = scale(second, 1 / out.bc2);
    const stepSize = h.lr / out.bc1;
    out.denom = addScalar(scale(sqrt(second), 1 / Math.sqrt(out.bc2)), h.eps);
    out.update = scale(div(expAvg, out.denom), -stepSize);
    out.next = add(theta, out.update);
    return out;
  };
}

const RULES = {
  sgd,
  adagrad,
  rmsprop,
  adam: (h) => adamFamily(h, false),
  adamw: (h) => adamFamily(h, true),
};

/**
 * Replays a run's updates from its path: `at(k)` gives the intermediates of
 * step k (1-based) — the update from path point k−1 to point k. The state is
 * advanced incrementally, so walking forward step by step is cheap.
 */
export class Replay {
  constructor(optimizer, hyper, path) {
    this.optimizer = optimizer;
    this.hyper = hyper;
    this.path = path;
    this.reset();
  }

  reset() {
    this.rule = RULES[this.optimizer](this.hyper);
    this.done = 0;
    this.last = null;
  }

  at(k) {
    if (k < 1 || k >= this.path.x.length) return null;
    if (k < this.done) this.reset();
    while (this.done < k) {
      const i = this.done;
      const theta = [this.path.x[i], this.path.y[i]];
      const grad = [this.path.grad_x[i], this.path.grad_y[i]];
      this.last = this.rule(theta, grad);
      this.last.theta = theta;
      this.last.actualNext = [this.path.x[i + 1], this.path.y[i + 1]];
      this.done += 1;
    }
    return this.last;
  }
}
