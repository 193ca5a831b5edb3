"""How well the network page's decision boundary follows a live run (headless Chromium).

    python bench/bench_boundary.py [--seconds 10] [--runs 1] [--chromium /usr/bin/chromium]

Starts the app (python -m app) on a free loopback port, opens /network at its
defaults (the circle data, 30 epochs a second), presses Train and counts, over a
fixed time, the boundaries the socket delivered (one per epoch message) and those
the page drew, with what one drawing cost (the page's own timing of its boundary
update, ms) and the page's animation frames per second.

Prints redraws per second (target: ≥ 15), drawn/received (1.0: every update
drawn) and drawn per animation frame that had a new boundary to show (several
arriving between two frames can be shown only once). Each run reloads the page.
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench_frames import CHROMIUM_ARGS
from server import running_server

# The page's animation frames, and those that found a boundary newer than the last
# frame's, counted from inside (the bench adds these counters): several boundaries
# arriving between two frames can be shown only once, so the page follows every
# update when it draws once in each frame with news.
COUNT_FRAMES = """() => {
  window.bench = {frames: 0, news: 0, seen: window.networkPage.boundary.received};
  const tick = () => {
    const received = window.networkPage.boundary.received;
    window.bench.frames += 1;
    if (received !== window.bench.seen) window.bench.news += 1;
    window.bench.seen = received;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
SAMPLE = """() => ({...window.networkPage.boundary, ...window.bench,
  epoch: Number(document.getElementById('netpage').dataset.epoch), t: performance.now()})"""


def measure(page, url: str, seconds: float) -> dict:
    """One run: the page opened afresh, trained for `seconds` after a warm-up."""
    page.goto(f"{url}/network")
    page.wait_for_selector("#netpage[data-ready='1'][data-run='paused']", timeout=60_000)
    page.click("#play")
    page.wait_for_selector("#netpage[data-run='playing']", timeout=60_000)
    page.wait_for_function(
        "Number(document.getElementById('netpage').dataset.epoch) > 5", timeout=60_000
    )
    page.evaluate(COUNT_FRAMES)
    page.wait_for_timeout(1000)  # warm up: the first drawings, the page's cost estimate
    before = page.evaluate(SAMPLE)
    page.wait_for_timeout(seconds * 1000)
    after = page.evaluate(SAMPLE)
    state = page.get_attribute("#netpage", "data-run")
    elapsed = (after["t"] - before["t"]) / 1000
    drawn = after["drawn"] - before["drawn"]
    received = after["received"] - before["received"]
    news = after["news"] - before["news"]
    costs = after["costs"][-drawn:] if drawn else []
    return {
        "seconds": elapsed,
        "state": state,
        "epochs": after["epoch"] - before["epoch"],
        "received": received,
        "drawn": drawn,
        "redraws_per_second": drawn / elapsed,
        "updates_per_second": received / elapsed,
        "ratio": drawn / received if received else float("nan"),
        "news": news,
        "news_ratio": drawn / news if news else float("nan"),
        "median_ms": statistics.median(costs) if costs else float("nan"),
        "p90_ms": statistics.quantiles(costs, n=10)[-1] if len(costs) >= 10 else float("nan"),
        "fps": (after["frames"] - before["frames"]) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per run")
    parser.add_argument("--runs", type=int, default=1, help="runs, each on a freshly opened page")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        # wait_for_function evaluates its predicate with eval, which the app's CSP forbids
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        for run in range(1, args.runs + 1):
            r = measure(page, url, args.seconds)
            print(
                f"run {run}: {r['seconds']:.1f} s, {r['epochs']} epochs, still {r['state']}; "
                f"boundaries received {r['received']} ({r['updates_per_second']:.1f}/s), "
                f"drawn {r['drawn']}"
            )
            print(
                f"  redraws {r['redraws_per_second']:.1f}/s (target ≥ 15), "
                f"drawn/received {r['ratio']:.2f}, one redraw median {r['median_ms']:.1f} ms "
                f"(p90 {r['p90_ms']:.1f})"
            )
            print(
                f"  page {r['fps']:.0f} frames/s, {r['news']} of them with a new boundary: "
                f"drawn/those {r['news_ratio']:.2f} (1.00: every update that could be shown was)"
            )
        browser.close()


if __name__ == "__main__":
    main()
