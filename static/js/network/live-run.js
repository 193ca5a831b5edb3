// The live training session over WS /ws/train, as the page sees it: start a run,
// pause, resume, step, change hyperparameters, ask for the weights, and a phase
// (connecting, paused, playing, done, diverged, lost, refused) kept from the
// server's own messages, never guessed.
//
// Two things the protocol leaves to the client:
//  - after a new `start`, messages of the old run may still be in flight: they are
//    dropped until the new run's `start` (or an `error` refusing it) arrives;
//  - a run resumed after a lost connection starts again from the last weights
//    seen, so its epochs are counted on from there (`epochOffset`);
//  - a socket the server closes says why (`closeReason`, in plain words): it is
//    full (1013), the session sat idle, the page's origin is not allowed (1008),
//    a message was too big (1009). A finished run loses nothing by it: the next
//    start connects anew.

export const CONNECTING = "connecting";
export const PAUSED = "paused";
export const PLAYING = "playing";
export const DONE = "done";
export const DIVERGED = "diverged";
export const LOST = "lost";
export const REFUSED = "refused"; // the server refused the run's settings

function socketUrl() {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/train`;
}

/** Why a socket closed, in plain words; null when it was simply lost. */
function closeReason(event, opened) {
  if (event.reason) return event.reason; // the server's own words (full, idle)
  if (event.code === 1013)
    return "The server has as many live training sessions as it allows; try again in a minute.";
  if (event.code === 1008)
    return "The server refused this page: its address is not among the origins the server allows.";
  if (event.code === 1009)
    return "A message was too big for the server, which closed the connection.";
  if (!opened) return "The server could not be reached, or it refused the connection.";
  return null;
}

export class LiveRun {
  /**
   * handlers: onStart(info), onEpoch(message), onPhase(phase), onSet(state),
   * onDone(message), onWeights(snapshot), onError(detail, {refused}).
   */
  constructor(handlers) {
    this.on = handlers;
    this.ws = null;
    this.outbox = [];
    this.phase = CONNECTING;
    this.epoch = 0;
    this.epochOffset = 0;
    this.awaitingStart = false;
    this.hasSession = false; // the server holds a run we may talk to
    this.finished = false;
    this.weightsInFlight = false;
    this.closeReason = null; // why the last socket closed (null: lost, or still open)
  }

  connect() {
    const ws = new WebSocket(socketUrl());
    let opened = false;
    this.ws = ws;
    this.closeReason = null;
    ws.addEventListener("open", () => {
      opened = true;
      for (const text of this.outbox) ws.send(text);
      this.outbox = [];
    });
    ws.addEventListener("message", (event) => {
      if (this.ws === ws) this._receive(JSON.parse(event.data));
    });
    // A close we did not ask for (server gone, full or idle, network down) loses the run,
    // unless it had ended anyway or none could start.
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.outbox = [];
      this.hasSession = false;
      this.awaitingStart = false;
      this.weightsInFlight = false;
      this.closeReason = closeReason(event, opened);
      if (!this.finished && this.phase !== REFUSED) this._setPhase(LOST);
    });
  }

  /** Drop the connection as if the server had gone away (for the browser tests). */
  dropConnection() {
    if (this.ws) this.ws.close();
  }

  get connected() {
    return this.ws !== null;
  }

  _send(message) {
    const text = JSON.stringify(message);
    if (!this.ws) return false;
    if (this.ws.readyState === WebSocket.CONNECTING) this.outbox.push(text);
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else return false;
    return true;
  }

  /** A new run (replacing any other): `body` is a train body; `play` false starts it paused. */
  start(body, { play, epochOffset = 0 }) {
    if (!this.ws) this.connect();
    if (this.hasSession) this._send({ type: "stop" }); // so a refused start leaves nothing running
    this.epochOffset = epochOffset;
    this.epoch = epochOffset;
    this.awaitingStart = true;
    this.hasSession = false;
    this.finished = false;
    this.weightsInFlight = false;
    this._setPhase(CONNECTING);
    this._send({ type: "start", ...body, paused: !play });
  }

  /** No run can start (the settings cannot be sent): stop any on the server, and say so. */
  halt() {
    if (this.hasSession) this._send({ type: "stop" });
    this.hasSession = false;
    this.awaitingStart = false;
    this.finished = false;
    this.weightsInFlight = false;
    this._setPhase(REFUSED);
  }

  get live() {
    return this.hasSession && !this.finished && !this.awaitingStart;
  }

  pause() {
    if (this.live) this._send({ type: "pause" });
  }

  resume() {
    if (this.live) this._send({ type: "resume" });
  }

  step(epochs = 1) {
    if (this.live) this._send({ type: "step", epochs });
  }

  /**
   * Change hyperparameters (and `l2`, `optimizer`, `epochs_per_second`) without a
   * reset. Also while a start is on its way: the server takes messages in order.
   */
  set(changes) {
    if ((this.hasSession || this.awaitingStart) && !this.finished)
      return this._send({ type: "set", ...changes });
    return false;
  }

  /** Ask for the current weights and gradient; false when a request is already out. */
  requestWeights() {
    if (!this.hasSession || this.awaitingStart || this.weightsInFlight) return false;
    this.weightsInFlight = this._send({ type: "weights" });
    return this.weightsInFlight;
  }

  _shift(record) {
    record.epoch += this.epochOffset;
  }

  _receive(message) {
    if (this.awaitingStart && message.type !== "start" && message.type !== "error") return;
    // after a halt, or a refused start: the old run's last words, and errors about
    // messages that followed the refused start, are no news
    if (!this.awaitingStart && !this.hasSession) return;
    switch (message.type) {
      case "start":
        this.awaitingStart = false;
        this.hasSession = true;
        this.on.onStart(message);
        break;
      case "epoch":
        this._shift(message);
        message.history.forEach((r) => this._shift(r));
        this.epoch = message.epoch;
        this.on.onEpoch(message);
        break;
      case "state":
        this.epoch = message.epoch + this.epochOffset;
        if (!this.finished) this._setPhase(message.running ? PLAYING : PAUSED);
        if (message.hyperparameters) this.on.onSet(message);
        break;
      case "done":
        this.finished = true;
        message.epochs_trained += this.epochOffset;
        this.epoch = message.epochs_trained;
        this.on.onDone(message);
        this._setPhase(message.status === "diverged" ? DIVERGED : DONE);
        break;
      case "weights":
        this.weightsInFlight = false;
        this._shift(message);
        this.on.onWeights(message);
        break;
      case "error":
        if (this.awaitingStart) {
          this.awaitingStart = false;
          this._setPhase(REFUSED);
          this.on.onError(message.detail, { refused: true });
        } else this.on.onError(message.detail, { refused: false });
        break;
      default:
        break;
    }
  }

  _setPhase(phase) {
    if (this.phase === phase) return;
    this.phase = phase;
    this.on.onPhase(phase);
  }
}
