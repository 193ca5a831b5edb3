// The real page, in a frame beside the lesson: opened at a step's address, watched
// for the results it publishes (common/events.js), and driven by "Show me" with the
// same buttons a learner presses. Same origin, so the panel can reach into it.
//
// What the panel needs to know of each page: when it is ready for a run, and which
// button starts each kind of run. These are the pages' own stable hooks (the ones
// their browser tests use), kept here in one place.

import { subscribe } from "../common/events.js";

const PAGES = {
  surface: { ready: "#explorer[data-ready='1'][data-run='idle']" },
  network: { ready: "#netpage[data-ready='1'][data-run='paused']" },
};

// How to start each kind of run once the page is ready: a button to press (once it
// is enabled), or a function of the frame's window.
const RUNS = {
  descent: { button: "#run" },
  training: { button: "#play" },
  "gradient-check": { button: "#check-run" },
  backprop: { walk: true },
};

const POLL_MS = 50;

export class PageFrame {
  /** `onResult(result)` for every result the page publishes; `onLoading(bool)` while it loads. */
  constructor(iframe, { onResult, onLoading }) {
    this.iframe = iframe;
    this.onResult = onResult;
    this.onLoading = onLoading;
    this.unsubscribe = null;
    this.token = 0;
    this.url = null;
    this.loaded = null; // resolves when the current address has loaded
    iframe.addEventListener("load", () => this._loaded());
  }

  get window() {
    return this.iframe.contentWindow;
  }

  get document() {
    return this.iframe.contentDocument;
  }

  /**
   * Open `url` in the frame (again, if `reload`), replacing the frame's history
   * entry so the browser's Back leaves the lesson rather than stepping the frame.
   * Resolves when the page has loaded.
   */
  open(url, { reload = false } = {}) {
    this.token += 1;
    if (url === this.url && !reload && this.loaded) return this.loaded;
    this.url = url;
    this.onLoading(true);
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = null;
    this.loaded = new Promise((resolve) => (this._resolveLoad = resolve));
    const current = this.iframe.contentWindow && this.iframe.getAttribute("src");
    if (current) {
      const win = this.iframe.contentWindow;
      const here = new URL(win.location.href);
      const next = new URL(url, win.location.href);
      win.location.replace(url);
      // Only the #anchor differs: replace() just scrolls and no load follows, so load anew.
      if (next.hash && here.pathname === next.pathname && here.search === next.search) {
        win.location.reload();
      }
    } else this.iframe.src = url;
    return this.loaded;
  }

  _loaded() {
    const doc = this.document;
    if (!doc || !this.url) return;
    // the page as part of the lesson: no site header or footer of its own (lessons.css)
    doc.documentElement.classList.add("in-lesson");
    if (!doc.querySelector("link[data-lesson-style]")) {
      const link = doc.createElement("link");
      link.rel = "stylesheet";
      link.href = "/static/css/lessons.css";
      link.dataset.lessonStyle = "";
      doc.head.append(link);
    }
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = subscribe(this.window, (result) => this.onResult(result));
    this.onLoading(false);
    if (this._resolveLoad) this._resolveLoad();
  }

  /** Resolves once `selector` matches in the page (or rejects when the frame moved on). */
  async waitFor(selector, token, timeoutMs = 60_000) {
    const started = performance.now();
    for (;;) {
      if (token !== this.token) throw new Error("superseded");
      const found = this.document && this.document.querySelector(selector);
      if (found) return found;
      if (performance.now() - started > timeoutMs) throw new Error(`the page did not get ready (${selector})`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Open `url`, wait until `page` is ready, then start the run of kind `result`
   * as a learner would (press its button). Rejects with "superseded" when the
   * learner moved to another step meanwhile.
   */
  async openAndRun(url, page, result) {
    const loading = this.open(url, { reload: true });
    const token = this.token;
    await loading;
    await this.waitFor(PAGES[page].ready, token);
    const how = RUNS[result];
    if (how.button) {
      const button = await this.waitFor(`${how.button}:not([disabled])`, token);
      button.click();
    } else if (how.walk) {
      await this._walk(token);
    }
  }

  /** One example's backprop walked to its end: the page's walk hook, then Next until the last step. */
  async _walk(token) {
    const page = this.window.networkPage;
    await this.waitFor("#check-run:not([disabled])", token); // the weights have arrived
    if (!page || typeof page.walkExample !== "function") throw new Error("this page cannot walk an example");
    await page.walkExample(0);
    const next = await this.waitFor("#walk-next", token);
    while (!next.disabled) {
      if (token !== this.token) throw new Error("superseded");
      next.click();
      await new Promise((resolve) => setTimeout(resolve, 120)); // a learner's pace, each step drawn
    }
  }
}
