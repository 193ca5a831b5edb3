"""How live the ghost path feels: from a learning-rate slider input to its path drawn on the map.

    python bench/bench_ghost_page.py [--inputs 20] [--chromium /usr/bin/chromium]

Starts the app (python -m app) on a free loopback port, opens the surface explorer
in headless Chromium on the elongated bowl with one gradient-descent hiker,
1,000 steps and tolerance 0 (so every ghost is a full 1,000-step path), and then,
`--inputs` times, moves the learning-rate slider to a new rate as a drag does
(an `input` event) and times, inside the page, from that event to the frame after
the ghost of that rate is drawn on the map: the POST /api/descent, its JSON, and
Plotly redrawing the map's ghost layer. Inputs are spaced out (like a learner's
separate nudges) so the 3D view, which follows the ghost later and costs hundreds
of milliseconds on software WebGL, has finished before the next one.

Prints the median (goal: under 150 ms), the 90th percentile and, of the median,
how long the request itself took (the Resource Timing of the POST).
"""

from __future__ import annotations

import argparse
import os
import statistics

from bench_frames import CHROMIUM_ARGS
from server import running_server

GOAL_MS = 150
STEPS = 1000

# One input: the slider moved to log10(lr), and the time until that rate's ghost is on screen.
ONE_INPUT = """async (lr) => {
  const f = window.gradientHiker.feedback;
  const slider = document.getElementById('lr-slider');
  const seq = f.ghost.seq;
  const t0 = performance.now();
  slider.value = String(Math.log10(lr));
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  const wanted = Number((10 ** Number(slider.value)).toPrecision(2));  // the slider's own rounding
  while (f.ghost.seq === seq || f.ghost.lr !== wanted) await new Promise((r) => setTimeout(r, 1));
  const post = performance.getEntriesByType('resource')
    .filter((e) => e.name.endsWith('/api/descent') && e.startTime >= t0).pop();
  return {ms: f.ghost.drawnAt - t0, request: post ? post.duration : null, points: f.ghost.points,
          verdict: f.ghost.verdict};
}"""


def rates(n: int) -> list[float]:
    """n rates from 0.02 to 0.45 (all below 2/L = 0.5, so every path stays on the map), alternating
    ends so that consecutive paths differ."""
    ladder = [0.02 * (0.45 / 0.02) ** (k / (n - 1)) for k in range(n)]
    return [ladder[k // 2] if k % 2 == 0 else ladder[n - 1 - k // 2] for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=20, help="slider inputs to time")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    query = f"s=elongated_bowl&h=sgd:lr=0.1&steps={STEPS}&tol=0"
    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/?{query}")
        page.wait_for_selector("#explorer[data-ready='1']", timeout=60_000)
        # (the app's CSP forbids wait_for_function's eval: poll with evaluate, which it allows)
        while not page.evaluate("window.gradientHiker.feedback.ghost.seq > 0"):
            page.wait_for_timeout(50)
        page.wait_for_timeout(1500)  # the first 3D draw of the ghost, shader compilation
        samples = []
        for lr in rates(args.inputs):
            samples.append(page.evaluate(ONE_INPUT, lr))
            page.wait_for_timeout(600)  # a learner's pause; the 3D view catches up
        browser.close()

    times = sorted(s["ms"] for s in samples)
    requests = sorted(s["request"] for s in samples if s["request"] is not None)
    points = {s["points"] for s in samples}
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
    drawn = ", ".join(map(str, sorted(points)))
    print(f"ghost path of {STEPS} steps ({drawn} points drawn), {len(times)} inputs")
    print(f"slider input → ghost drawn on the map: median {median:.0f} ms (goal < {GOAL_MS} ms)")
    print(f"  90th percentile {p90:.0f} ms, fastest {times[0]:.0f} ms, slowest {times[-1]:.0f} ms")
    if requests:
        print(f"  of which the POST /api/descent: median {statistics.median(requests):.0f} ms")
    print(f"{'meets' if median < GOAL_MS else 'misses'} the goal")
    print(f"machine load (1, 5, 15 min) at the start: {', '.join(f'{v:.1f}' for v in load)}")


if __name__ == "__main__":
    main()
