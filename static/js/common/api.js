// The HTTP client of the page: JSON requests, the JSON-Lines descent stream,
// and 422 bodies turned into messages a learner can read.

/** An error from the API, with FastAPI's `detail` list kept for field-level messages. */
export class ApiError extends Error {
  constructor(status, message, detail = []) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = Array.isArray(detail) ? detail : [];
  }

  /** The first detail entry whose `loc` ends with (or contains) `field`, if any. */
  find(predicate) {
    return this.detail.find(predicate) || null;
  }
}

// Words for field names in `loc`, so "runs.1.lr" reads as "hiker 2, learning rate".
const FIELD_WORDS = {
  lr: "learning rate",
  max_steps: "max steps",
  tolerance: "tolerance",
  gradient_noise: "gradient noise",
  x_range: "x range",
  y_range: "y range",
  formula: "formula",
  start: "start point",
  betas: "betas",
  resolution: "resolution",
  // the network page's fields
  n: "number of points",
  test_fraction: "test share",
  hidden: "hidden layers",
  batch_size: "batch size",
  epochs: "epochs",
  l2: "L2",
  epsilon: "nudge size ε",
  record_every: "record every",
};

/** "body.runs.1.lr" → "hiker 2, learning rate". */
export function describeLoc(loc = []) {
  const parts = loc.filter((p) => p !== "body");
  const words = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === "runs" && typeof parts[i + 1] === "number") {
      words.push(`hiker ${parts[i + 1] + 1}`);
      i++;
    } else if (part === "surface" || part === "optimizer") {
      continue;
    } else if (typeof part === "string") {
      words.push(FIELD_WORDS[part] || part.replace(/_/g, " "));
    }
  }
  return words.join(", ");
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall through to the status line
  }
  const detail = body && body.detail;
  if (Array.isArray(detail) && detail.length) {
    const text = detail
      .map((d) => {
        const where = describeLoc(d.loc);
        return where ? `${where}: ${d.msg}` : d.msg;
      })
      .join("; ");
    return new ApiError(response.status, text, detail);
  }
  if (typeof detail === "string") return new ApiError(response.status, detail);
  return new ApiError(response.status, `the server answered ${response.status} ${response.statusText}`);
}

async function request(method, url, body, signal) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "could not reach the Gradient Hiker server — is it still running?");
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJSON(url, signal) {
  return (await request("GET", url, undefined, signal)).json();
}

export async function postJSON(url, body, signal) {
  return (await request("POST", url, body, signal)).json();
}

export const api = {
  surfaces: () => getJSON("/api/surfaces"),
  optimizers: () => getJSON("/api/optimizers"),
  formula: (formula, signal) => postJSON("/api/formula", { formula }, signal),
  mesh: (surface, resolution, signal) => postJSON("/api/mesh", { surface, resolution }, signal),
  evaluate: (surface, points, signal) => postJSON("/api/evaluate", { surface, points }, signal),
  basins: (body, signal) => postJSON("/api/basins", body, signal),
  /**
   * Check a typed surface (formula and ranges) with the API's own validation,
   * and get the minima the server finds on its domain.
   * The page's helper answers 200 with {ok, detail}, so a typo does not show up
   * as a failed request in the console; a 422 in FastAPI's shape is thrown.
   */
  async checkSurface(surface, signal) {
    const reply = await postJSON("/page/check-surface", { surface }, signal);
    if (!reply.ok) {
      const text = reply.detail.map((d) => `${describeLoc(d.loc) || "surface"}: ${d.msg}`).join("; ");
      throw new ApiError(422, text, reply.detail);
    }
    return reply; // {ok, detail, minima}: the minima found on the formula's domain
  },
};

/**
 * POST /api/descent/stream and hand each JSON line to `onMessage` as soon as it
 * arrives, so the hikers start moving with the first chunk. Resolves when the
 * stream ends; rejects with AbortError when `signal` aborts (which also stops
 * the computation on the server).
 */
export async function streamDescent(body, { signal, onMessage }) {
  const response = await request("POST", "/api/descent/stream", body, signal);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onMessage(JSON.parse(line));
    }
  }
  const rest = (buffer + decoder.decode()).trim();
  if (rest) onMessage(JSON.parse(rest));
}
