"""Page benchmark: main-thread time per frame in headless Chromium while training.

Starts a server (`python -m app`) on a free port, opens the page with spiral, the seven
reference features and a 6×8 network, plays at 30 fps and measures, over a window:

- the page's own per-frame cost: parsing a binary frame plus drawing it (the page records
  both with performance.now() in `window.playground.stats`);
- all main-thread work (script, style, layout, paint) from the DevTools protocol's
  `Performance.getMetrics` TaskDuration, divided by the frames drawn.

With `--phone` the page runs as on a mid-range phone: Chromium's device emulation (390x844,
device scale 3, touch) with the CPU slowed ×4 (`Emulation.setCPUThrottlingRate`), and the
figure to read is the main thread's busy share while playing (issue 16 asks for at most ~30 %).

Run: `python -m app.bench_page [--seconds 10] [--hash ...] [--phone]` (needs the test extras
and Debian's Chromium at /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from app.launch import ServerProcess, bench_import

CHROMIUM = "/usr/bin/chromium"
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
FEATURES = "x1,x2,x1_squared,x2_squared,x1_x2,sin_x1,sin_x2"
DEFAULT_HASH = f"dataset=spiral&features={FEATURES}&hidden=8,8,8,8,8,8&fps=30&epochs_per_frame=1"
# A mid-range phone: what the phone tests emulate, with its CPU four times slower.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "has_touch": True,
    "is_mobile": True,
}
PHONE_CPU_SLOWDOWN = 4


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    median = statistics.median(values)
    p95 = percentile(values, 0.95)
    worst = max(values)
    return f"{name}: median {median:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms (n={len(values)})"


def playwright() -> Any:
    return bench_import(
        "playwright.sync_api", "python -m app.bench_page drives Chromium with Playwright"
    )


def measure(url: str, seconds: float, warmup: float, phone: bool = False) -> dict:
    sync_playwright = playwright().sync_playwright
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        device = PHONE if phone else {"viewport": {"width": 1400, "height": 1000}}
        page = browser.new_context(**device).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_function("() => window.playground && window.playground.page.last")
        # The page sends the hash's config on connecting; measure once the server applied it.
        page.wait_for_function(
            """() => {
                const want = new URLSearchParams(location.hash.slice(1)).get('hidden');
                const have = window.playground.page.config.hidden.join(',');
                return want === null || want === have;
            }"""
        )
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        if phone:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
        page.click("[data-action=play]")
        page.wait_for_timeout(warmup * 1000)
        js = (
            "() => ({h: playground.stats.handle.length, d: playground.stats.draw.length,"
            " frames: playground.stats.frames, drawn: playground.stats.drawn,"
            " epoch: playground.page.last.epoch})"
        )
        start = page.evaluate(js)
        before = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        t0 = time.monotonic()
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.monotonic() - t0
        after = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        end = page.evaluate(js)
        handle = page.evaluate(f"() => playground.stats.handle.slice({start['h']})")
        draw = page.evaluate(f"() => playground.stats.draw.slice({start['d']})")
        browser.close()
    drawn = end["drawn"] - start["drawn"]
    task_ms = {
        k: (after[k] - before[k]) * 1000 / max(1, drawn)
        for k in (
            "TaskDuration",
            "ThreadTime",
            "ScriptDuration",
            "RecalcStyleDuration",
            "LayoutDuration",
        )
    }
    return {
        # The share of the window the main thread was busy (wall time of its tasks).
        "busy": (after["TaskDuration"] - before["TaskDuration"]) / elapsed,
        "handle": handle,
        "draw": draw,
        "frames": end["frames"] - start["frames"],
        "drawn": drawn,
        "epochs": end["epoch"] - start["epoch"],
        "elapsed": elapsed,
        "task_ms": task_ms,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--hash", default=DEFAULT_HASH, help="page state (URL hash) to measure")
    parser.add_argument("--url", default=None, help="an already running server instead")
    parser.add_argument(
        "--phone",
        action="store_true",
        help=f"emulate a phone (390x844, touch) with the CPU slowed ×{PHONE_CPU_SLOWDOWN}",
    )
    args = parser.parse_args(argv)
    playwright()  # before starting anything
    server = None
    if args.url is None:
        log = Path(tempfile.mkdtemp(prefix="bench-page-")) / "server.log"
        server = ServerProcess(log).start()
        base = server.url
    else:
        base = args.url.rstrip("/")
    try:
        r = measure(f"{base}/#{args.hash}", args.seconds, args.warmup, args.phone)
    finally:
        if server is not None:
            server.stop()
    print(f"page state: #{args.hash}")
    if args.phone:
        print(f"phone emulation: 390x844, scale 3, touch, CPU ×{PHONE_CPU_SLOWDOWN} slower")
    print(f"main thread busy: {r['busy'] * 100:.0f} % of the window (CDP TaskDuration / wall)")
    print(
        f"{r['frames']} frames received, {r['drawn']} drawn, {r['epochs']} epochs in "
        f"{r['elapsed']:.1f} s ({r['frames'] / r['elapsed']:.1f} frames/s)"
    )
    print(summary("parse+handle per frame", r["handle"]))
    print(summary("draw per frame", r["draw"]))
    # Frames that arrive faster than the display are parsed but never drawn (latest wins),
    # so the page's script cost per drawn frame counts every parse.
    js = (sum(r["handle"]) + sum(r["draw"])) / max(1, len(r["draw"]))
    print(f"page JS per drawn frame (all parses + draw), mean: {js:.2f} ms")
    t = r["task_ms"]
    print(
        "all main-thread work per drawn frame (CDP TaskDuration, wall): "
        f"{t['TaskDuration']:.2f} ms "
        f"(script {t['ScriptDuration']:.2f}, style {t['RecalcStyleDuration']:.2f}, "
        f"layout {t['LayoutDuration']:.2f})"
    )
    # Wall-clock task time inflates when other processes compete for the cores; the main
    # thread's CPU time does not.
    print(f"main-thread CPU time per drawn frame (CDP ThreadTime): {t['ThreadTime']:.2f} ms")
    if r["errors"]:
        print(f"page errors: {r['errors']}")


if __name__ == "__main__":
    main()
