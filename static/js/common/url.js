// A lesson in the URL, for any page: values written compactly into the query
// string (replaceState, so the back button is not flooded) and read back with
// a check, so a link reproduces the lesson and a bad part of it is reported.

import { plain } from "./format.js";

/** encodeURIComponent, but keep the characters that read well and are safe in a query value. */
export function enc(value) {
  return encodeURIComponent(value).replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%3D/gi, "=");
}

/** [x, y] → "x,y" at full precision. */
export function pair(p) {
  return `${plain(p[0])},${plain(p[1])}`;
}

/** A finite number, or null for anything else (empty, "abc", "Infinity"). */
export function parseNumber(text) {
  const value = Number(text);
  return text !== "" && text !== null && Number.isFinite(value) ? value : null;
}

/** "x,y" → [x, y], or null unless both are numbers. */
export function parsePair(text) {
  if (!text) return null;
  const parts = text.split(",").map(parseNumber);
  return parts.length === 2 && parts.every((v) => v !== null) ? parts : null;
}

let pending = null;

/** Write `query()` to the address bar, at most every 150 ms. */
export function writeQuery(query) {
  clearTimeout(pending);
  pending = setTimeout(() => {
    const url = `${location.pathname}?${query()}`;
    if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
  }, 150);
}

/** The link to this page with `query`, for "copy link". */
export function linkWith(query) {
  return `${location.origin}${location.pathname}?${query}`;
}
