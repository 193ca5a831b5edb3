"""How soon the surface explorer shows something: navigation to the first hiker drawn.

    python bench/bench_first_hiker.py [--loads 5] [--chromium /usr/bin/chromium]

Starts the app (python -m app) on a free loopback port and opens the surface
explorer in headless Chromium (software WebGL), each load in a fresh browser
context (an empty cache, as for a first visit): the default page, and a page
with 8 hikers (bench_frames.py's). Per load and as a median it prints the
milliseconds from navigation to

    html       the HTML parsed (domInteractive)
    plotly↓    plotly.min.js received (4.8 MB; 1.5 MB gzipped)
    preview    the map's first look with the hikers painted (a canvas, before plotly.js runs)
    scripts    plotly.js and KaTeX have run (DOMContentLoaded where they are deferred scripts)
    map        the map (contours, colour bar) drawn by Plotly
    hiker      the first hiker drawn on Plotly's map
    3d         the 3D surface drawn
    hiker 3d   the first hiker drawn in the 3D view
    ready      the page ready (#explorer[data-ready='1'])

The goal (issue 12): the first hiker on screen (preview, or else hiker) ≤ 2,000 ms
at the median. The page itself sets the marks (performance.mark("gh:…")) once each
thing is drawn (static/js/common/surface-view.js, static/js/surface/main.js); a
column a page version does not mark shows "—".
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench_frames import CHROMIUM_ARGS, HIKERS, PALETTE
from server import running_server

PAGES = [
    ("default page", ""),
    (
        "8 hikers",
        "&".join(["s=himmelblau"] + [f"h={h}:c={c}" for h, c in zip(HIKERS, PALETTE, strict=True)]),
    ),
]
# in the order things happen
COLUMNS = ["html", "plotly↓", "preview", "scripts", "map", "hiker", "3d", "hiker 3d", "ready"]
TIMINGS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const mark = (name) => {
    const entry = performance.getEntriesByName(name, "mark")[0];
    return entry ? entry.startTime : null;
  };
  const plotly = performance
    .getEntriesByType("resource")
    .find((entry) => entry.name.endsWith("/vendor/plotly.min.js"));
  return {
    "html": nav.domInteractive,
    "plotly↓": plotly ? plotly.responseEnd : null,
    "preview": mark("gh:preview"),
    "scripts": mark("gh:scripts") ?? nav.domContentLoadedEventEnd,
    "map": mark("gh:map-drawn"),
    "hiker": mark("gh:first-hiker"),
    "3d": mark("gh:3d-drawn"),
    "hiker 3d": mark("gh:first-hiker-3d"),
    "ready": mark("gh:ready"),
  };
}"""
GOAL_MS = 2000


def load_once(browser, url: str) -> dict[str, float | None]:
    """One cold load of ``url``: the page's timings once it is ready (and its 3D view drawn)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#explorer[data-ready='1']", timeout=120_000)
        return page.evaluate(TIMINGS)
    finally:
        context.close()


def row(label: str, timings: dict[str, float | None]) -> str:
    cells = [f"{timings[c]:>9.0f}" if timings[c] is not None else f"{'—':>9}" for c in COLUMNS]
    return f"{label:<8}" + "".join(cells)


def median_of(loads: list[dict[str, float | None]]) -> dict[str, float | None]:
    medians: dict[str, float | None] = {}
    for column in COLUMNS:
        values = [load[column] for load in loads if load[column] is not None]
        medians[column] = statistics.median(values) if values else None
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="loads of each page")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    summary = []
    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        load_once(browser, f"{url}/")  # warm up: the server's first answers (gzip of plotly.js)
        for name, query in PAGES:
            print(f"\n{name}: ms after navigation, {args.loads} cold loads")
            print(f"{'':<8}" + "".join(f"{c:>9}" for c in COLUMNS))
            loads = []
            for i in range(args.loads):
                loads.append(load_once(browser, f"{url}/?{query}" if query else f"{url}/"))
                print(row(f"load {i + 1}", loads[-1]))
            medians = median_of(loads)
            print(row("median", medians))
            summary.append((name, medians))
        browser.close()

    print()
    for name, m in summary:
        first = m["preview"] if m["preview"] is not None else m["hiker"]
        verdict = "—" if first is None else ("met" if first <= GOAL_MS else "not met")
        print(
            f"{name}: first hiker on screen {ms(first)} (goal ≤ {GOAL_MS} ms: {verdict}); "
            f"on Plotly's map {ms(m['hiker'])}, 3D view {ms(m['3d'])}, ready {ms(m['ready'])}"
        )


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


if __name__ == "__main__":
    main()
