"""Frame rate of the surface explorer: 8 hikers on a 100×100 mesh in headless Chromium.

    python bench/bench_frames.py [--seconds 10] [--chromium /usr/bin/chromium]

Starts the app (python -m app) on a free loopback port, opens the page with 8
hikers (every optimizer, tolerance 0 so nobody stops) on Himmelblau, presses
Run, and counts the page's animation frames (requestAnimationFrame ticks, each
of which moves every hiker, its trail and its arrow on the map, the readout
and, paced by their cost, the charts and the 3D view) over a fixed time.

Prints frames per second (target: ≥ 30) and how often the 3D view was
redrawn: in headless Chromium WebGL is software-rendered, where one 3D frame
costs hundreds of milliseconds, so the page redraws the 3D view only as often
as keeps the animation smooth (on a machine with a GPU it follows every frame).
"""

from __future__ import annotations

import argparse
import os

from server import running_server

HIKERS = [
    "sgd:lr=0.005",
    "sgd:lr=0.01",
    "sgd:lr=0.002:momentum=0.9",
    "sgd:lr=0.002:momentum=0.9:nesterov=1",
    "adagrad:lr=0.5",
    "rmsprop:lr=0.02",
    "adam:lr=0.05",
    "adamw:lr=0.05",
]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    query = "&".join(
        ["s=himmelblau", "tol=0", "steps=20000", "speed=60"]
        + [f"h={h}:c={c}" for h, c in zip(HIKERS, PALETTE, strict=True)]
    )
    with running_server() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        # wait_for_function evaluates its predicate with eval, which the app's CSP forbids
        page = browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        page.goto(f"{url}/?{query}")
        page.wait_for_selector("#explorer[data-ready='1']", timeout=60_000)
        mesh = page.evaluate(
            "() => { const d = document.getElementById('plot3d').data[0];"
            " return [d.x.length, d.y.length]; }"
        )
        page.click("#run")
        page.wait_for_function("window.gradientHiker.runner.cursor > 5", timeout=60_000)
        page.wait_for_timeout(1000)  # warm up: first chunks, shader compilation
        before = page.evaluate(
            "() => ({frames: window.gradientHiker.runner.stats.frames,"
            " updates3d: window.gradientHiker.view.updates3d, t: performance.now()})"
        )
        page.wait_for_timeout(args.seconds * 1000)
        after = page.evaluate(
            "() => ({frames: window.gradientHiker.runner.stats.frames,"
            " updates3d: window.gradientHiker.view.updates3d, t: performance.now(),"
            " cost3d: window.gradientHiker.view.cost3d, playing: document.getElementById("
            "'explorer').dataset.run, step: window.gradientHiker.runner.cursor})"
        )
        browser.close()

    seconds = (after["t"] - before["t"]) / 1000
    fps = (after["frames"] - before["frames"]) / seconds
    rate3d = (after["updates3d"] - before["updates3d"]) / seconds
    print(f"8 hikers on a {mesh[0]}×{mesh[1]} mesh, {seconds:.1f} s, still {after['playing']}")
    print(f"animation: {fps:.1f} frames/s (target ≥ 30)")
    print(f"3D view:   {rate3d:.1f} redraws/s, one 3D redraw ≈ {after['cost3d']:.0f} ms here")


PALETTE = ["e6194b", "ff8c00", "f032e6", "00a8e8", "8b4513", "111111", "2e8b57", "9a6dd7"]

if __name__ == "__main__":
    main()
