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
A page that draws slowly paces its draws (static/js/draw-loop.js: at most a quarter of the
main thread, never fewer than 24 a second), and once paced to that floor it asks the server
(a `view` message, max_fps) for no more frames than it draws: a phone receives about 24
frames a second of the 30, not 30; the page's measured cost per draw is printed. Paced to
the floor, it refreshes the readouts, the loss chart and the links a few times a second
(the maps every draw), and a follower expands the room's zframes in script (static/js/inflate.js).
A phone first shows the map (the network is below it, not drawn while off screen);
`--network` scrolls the network into view first, the page's heaviest view.

With `--follower` the measured page is a room's follower: a laptop page creates the room,
sets up the hash's run as its instructor and plays it. `--phone --follower` measures a
laptop's follower and a phone's in the same room over the same window, and prints the
phone's frames drawn per second beside the laptop's (issue 16: at least 20 on a phone); on a
loaded machine read the ratio. Each follower's lag is read 4 times a second: how far its last
frame's epoch is behind the instructor page's (read just before and after it), in ms of the
run (issue 16: the same lag on a phone as on a laptop).

With `--trace FILE` a Chromium trace of the window is kept and the measured page's main
thread (the phone's, with `--follower`) is printed by event: where a drawn frame's time goes.

Run: `python -m app.bench_page [--seconds 10] [--hash ...] [--phone] [--follower]
[--network] [--trace FILE]` (needs the test extras and Debian's Chromium at /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from app import bench_trace
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


CONFIG_APPLIED = """() => {
    const want = new URLSearchParams(location.hash.slice(1)).get('hidden');
    const have = window.playground.page.config.hidden.join(',');
    return want === null || want === have;
}"""
DRAWN = "() => window.playground && window.playground.page.last"
HIDDEN = "() => window.playground.page.config.hidden.join(',')"
HIDDEN_IS = "(want) => window.playground.page.config.hidden.join(',') === want"
CARRY = (
    "(code) => sessionStorage.setItem(`room-start-${code}`,"
    " JSON.stringify(window.playground.page.config))"
)
MODE_IS = "(name) => document.body.dataset.mode === name"


def launch(p: Any) -> Any:
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def new_page(browser: Any, phone: bool) -> tuple[Any, list[str]]:
    device = PHONE if phone else {"viewport": {"width": 1400, "height": 1000}}
    page = browser.new_context(**device).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def press(page: Any, selector: str, phone: bool) -> None:
    """A tap on a phone (touch, no mouse hovering the page afterwards), else a click."""
    (page.tap if phone else page.click)(selector)


def open_solo(browser: Any, base: str, page_hash: str, phone: bool) -> tuple[list, Any]:
    """The solo page with `page_hash`, once the server applied it, and how to play it."""
    page, errors = new_page(browser, phone)
    page.goto(f"{base}/#{page_hash}")
    page.wait_for_function(DRAWN)
    # The page sends the hash's config on connecting; measure once the server applied it.
    page.wait_for_function(CONFIG_APPLIED)
    name = "solo page" + (" on a phone" if phone else "")
    return [(name, page, errors, phone)], lambda: press(page, "[data-action=play]", phone), None


def open_followers(browser: Any, base: str, page_hash: str, phone: bool) -> tuple[list, Any, Any]:
    """Followers of a room whose instructor (a laptop page, returned last) set up
    `page_hash`: a laptop's, and with `phone` a phone's beside it (the same frames, over the
    same window)."""
    request = urllib.request.Request(f"{base}/api/rooms", data=b"{}", method="POST")
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        room = json.loads(response.read())
    teacher, _ = new_page(browser, phone=False)
    # The playground page reads the run from the hash; a room made from it starts its live run
    # from those settings, as the page's own "Teach a class" does (static/js/classroom/room.js).
    # (A control link's fragment is only the secret: the page takes it off the address bar.)
    teacher.goto(f"{base}/#{page_hash}")
    teacher.wait_for_function(DRAWN)
    teacher.wait_for_function(CONFIG_APPLIED)
    hidden = teacher.evaluate(HIDDEN)
    teacher.evaluate(CARRY, room["code"])
    teacher.goto(room["control_url"])
    teacher.wait_for_function(MODE_IS, arg="instructor")
    teacher.wait_for_function(DRAWN)
    teacher.wait_for_function(HIDDEN_IS, arg=hidden)
    pages = []
    for on_phone in (False, True) if phone else (False,):
        page, errors = new_page(browser, on_phone)
        page.goto(f"{base}/room/{room['code']}")
        page.fill("[data-name-input]", "Phone" if on_phone else "Laptop")
        press(page, "[data-action=join]", on_phone)
        page.wait_for_function(MODE_IS, arg="follower")
        page.wait_for_function(DRAWN)
        page.wait_for_function(HIDDEN_IS, arg=hidden)
        pages.append((f"follower on a {'phone' if on_phone else 'laptop'}", page, errors, on_phone))
    return pages, lambda: teacher.click("[data-action=play]"), teacher


COUNTERS = (
    "() => ({h: playground.stats.handle.length, d: playground.stats.draw.length,"
    " frames: playground.stats.frames, drawn: playground.stats.drawn,"
    " epoch: playground.page.last.epoch})"
)
EPOCH = "() => playground.page.last.epoch"
LAG_EVERY = 0.25  # seconds between two readings of the followers' lag


def sample_lags(leader: Any, followers: list[Any], seconds: float) -> list[list[tuple]]:
    """For `seconds`: each follower's last frame's epoch against the instructor's page's,
    read just before and just after it. Per follower, a list of (epochs behind, the
    epochs the instructor moved between its two readings: the reading's uncertainty)."""
    lags: list[list[tuple]] = [[] for _ in followers]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for lag, page in zip(lags, followers, strict=True):
            before = leader.evaluate(EPOCH)
            epoch = page.evaluate(EPOCH)
            after = leader.evaluate(EPOCH)
            lag.append(((before + after) / 2 - epoch, after - before))
        leader.wait_for_timeout(LAG_EVERY * 1000)
    return lags


def snapshot(page: Any, cdp: Any) -> tuple[dict, dict[str, float]]:
    """The page's own counters and the DevTools protocol's metrics, now."""
    devtools = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return page.evaluate(COUNTERS), devtools


def measure(
    url: str,
    seconds: float,
    warmup: float,
    phone: bool = False,
    follower: bool = False,
    network: bool = False,
    trace: Path | None = None,
) -> list[tuple[str, dict]]:
    """Main-thread figures of each measured page over one playing window, by page name.
    With `trace`, a Chromium trace of the window is written there and the last page's main
    thread is broken down by event (app/bench_trace.py)."""
    base, _, page_hash = url.partition("/#")
    with playwright().sync_playwright() as p:
        browser = launch(p)
        opener = open_followers if follower else open_solo
        pages, play, leader = opener(browser, base, page_hash, phone)
        cdps = []
        for _, page, _, on_phone in pages:
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            if on_phone:
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
            cdps.append(cdp)
        play()
        if network:  # after play: a tap scrolls its button into view
            for _, page, _, _ in pages:
                page.locator("[data-network]").scroll_into_view_if_needed()
        pages[0][1].wait_for_timeout(warmup * 1000)
        starts = [snapshot(page, cdp) for (_, page, _, _), cdp in zip(pages, cdps, strict=True)]
        traced = pages[-1][1]
        if trace is not None:
            browser.start_tracing(page=traced, path=str(trace), categories=bench_trace.CATEGORIES)
            traced.evaluate(f"() => performance.mark('{bench_trace.MARK}')")
        t0 = time.monotonic()
        if leader is None:
            pages[0][1].wait_for_timeout(seconds * 1000)
            lags: list[list[tuple]] = [[] for _ in pages]
        else:
            lags = sample_lags(leader, [page for _, page, _, _ in pages], seconds)
        elapsed = time.monotonic() - t0
        if trace is not None:
            browser.stop_tracing()
        ends = [snapshot(page, cdp) for (_, page, _, _), cdp in zip(pages, cdps, strict=True)]
        results = []
        for (name, page, errors, _), (start, before), (end, after), lag in zip(
            pages, starts, ends, lags, strict=True
        ):
            handle = page.evaluate(f"() => playground.stats.handle.slice({start['h']})")
            draw = page.evaluate(f"() => playground.stats.draw.slice({start['d']})")
            drawn = end["drawn"] - start["drawn"]
            # What the page's own pacer measured a draw to cost (static/js/draw-loop.js).
            cost = page.evaluate("() => playground.pacer ? playground.pacer.cost : null")
            per_frame = ("TaskDuration", "ThreadTime", "ScriptDuration", "RecalcStyleDuration")
            task_ms = {
                k: (after[k] - before[k]) * 1000 / max(1, drawn)
                for k in (*per_frame, "LayoutDuration")
            }
            result = {
                # The share of the window the main thread was busy (wall time of its tasks).
                "busy": (after["TaskDuration"] - before["TaskDuration"]) / elapsed,
                "handle": handle,
                "draw": draw,
                "frames": end["frames"] - start["frames"],
                "drawn": drawn,
                "epochs": end["epoch"] - start["epoch"],
                "elapsed": elapsed,
                "task_ms": task_ms,
                "pacer_ms": cost,
                "trace": (
                    bench_trace.breakdown(json.loads(trace.read_text()), per=drawn)
                    if trace is not None and page is traced
                    else []
                ),
                "lag": lag,
                "errors": errors,
            }
            results.append((name, result))
        browser.close()
    return results


def report(r: dict) -> None:
    print(f"main thread busy: {r['busy'] * 100:.0f} % of the window (CDP TaskDuration / wall)")
    print(
        f"{r['frames']} frames received, {r['drawn']} drawn, {r['epochs']} epochs in "
        f"{r['elapsed']:.1f} s ({r['frames'] / r['elapsed']:.1f} frames/s received, "
        f"{r['drawn'] / r['elapsed']:.1f} drawn/s)"
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
    if r["pacer_ms"] is not None:
        print(f"a draw's cost as the page's pacer measures it (wall): {r['pacer_ms']:.2f} ms")
    if r["lag"]:
        per_epoch = 1000 * r["elapsed"] / max(1, r["epochs"])  # ms
        behind = statistics.median(e for e, _ in r["lag"]) * per_epoch
        spread = statistics.median(m for _, m in r["lag"]) * per_epoch / 2
        worst = percentile([e for e, _ in r["lag"]], 0.95) * per_epoch
        print(
            f"behind the instructor's page (last frame's epoch, {len(r['lag'])} readings): "
            f"median {behind:.0f} ms (reading ±{spread:.0f} ms), p95 {worst:.0f} ms"
        )
    for line in r["trace"]:
        print(line)
    if r["errors"]:
        print(f"page errors: {r['errors']}")


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
    parser.add_argument(
        "--follower",
        action="store_true",
        help="measure a room's follower (the instructor is a laptop page playing the hash's "
        "run); with --phone a laptop's follower is measured beside the phone's, for the ratio",
    )
    parser.add_argument(
        "--network", action="store_true", help="scroll the network into view before measuring"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        default=None,
        help="write a Chromium trace of the window to this file and print the (last) measured "
        "page's main thread by event; tracing costs time, so read its shares, not its totals",
    )
    args = parser.parse_args(argv)
    playwright()  # before starting anything
    server = None
    if args.url is None:
        folder = Path(tempfile.mkdtemp(prefix="bench-page-"))
        env = {**os.environ, "PLAYGROUND_DATA_DIR": str(folder / "data")}
        server = ServerProcess(folder / "server.log", env=env).start()
        base = server.url
    else:
        base = args.url.rstrip("/")
    url = f"{base}/#{args.hash}"
    try:
        runs = measure(
            url, args.seconds, args.warmup, args.phone, args.follower, args.network, args.trace
        )
    finally:
        if server is not None:
            server.stop()
    print(f"page state: #{args.hash}")
    if args.phone:
        print(f"phone emulation: 390x844, scale 3, touch, CPU ×{PHONE_CPU_SLOWDOWN} slower")
    for name, r in runs:
        print(f"--- {name}" + (", network in view" if args.network else ""))
        report(r)
    if len(runs) == 2:
        laptop, phone = (r["drawn"] / r["elapsed"] for _, r in runs)
        print(
            f"follower frames drawn per second: phone {phone:.1f}, laptop {laptop:.1f} "
            f"(ratio {phone / max(laptop, 1e-9):.2f}; issue 16 asks for >= 20 on the phone)"
        )


if __name__ == "__main__":
    main()
