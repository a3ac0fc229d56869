"""Draw pacing (static/js/draw-loop.js): a device too slow to draw every frame cheaply draws
fewer, never fewer than the floor rate, always the newest frame; a fast one is never paced."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.bench_page import PHONE, PHONE_CPU_SLOWDOWN

pytestmark = pytest.mark.browser

# Offers a frame at every display refresh for ten (simulated) seconds to a pacer whose draws
# cost `cost` ms, and draws whenever the loop would (within half a refresh of the slot).
SIMULATE = """async (cost) => {
    const m = await import('/static/js/draw-loop.js');
    const pacer = new m.DrawPacer();
    for (let i = 0; i < 500; i++) pacer.measured(cost);
    let draws = 0;
    let waited = 0;
    for (let t = 1000; t < 11000; t += m.REFRESH_MS) {
        const wait = pacer.wait(t);
        waited = Math.max(waited, wait);
        if (wait <= m.REFRESH_MS / 2) {
            pacer.drew(t);
            draws += 1;
        }
    }
    return {rate: draws / 10, waited, share: m.DRAW_SHARE, floor: m.MIN_DRAW_RATE,
            refresh: m.REFRESH_MS};
}"""


def newest_shown(pg) -> dict:
    """After a pause: waits for the paused frame (frames may still come just after the pause)
    and until the page shows it; returns its header."""
    pg.wire.wait("the paused frame", lambda: pg.wire.frames[-1].header["state"] == "paused")
    shown = "() => window.playground.page.last.seq"
    pg.wire.wait(
        "the newest frame on screen",
        lambda: pg.page.evaluate(shown) == pg.wire.frames[-1].header["seq"],
    )
    return pg.wire.frames[-1].header


def test_the_pacer_keeps_drawing_within_its_share_and_never_below_its_floor(pg):
    pg.open()
    # A laptop: a draw of 2 ms fits every refresh within the share; nothing ever waits.
    fast = pg.page.evaluate(SIMULATE, 2)
    assert fast["waited"] == 0
    assert fast["rate"] == pytest.approx(1000 / fast["refresh"], abs=0.5)
    # A draw of 6 ms: spaced so that drawing takes DRAW_SHARE of the time.
    medium = pg.page.evaluate(SIMULATE, 6)
    assert medium["rate"] == pytest.approx(medium["share"] * 1000 / 6, abs=1)
    # A draw of 40 ms would take the whole thread at the share's pace: the floor rate holds.
    slow = pg.page.evaluate(SIMULATE, 40)
    assert slow["rate"] == pytest.approx(slow["floor"], abs=0.5)


def test_a_slow_phone_paces_its_draws_and_still_shows_the_newest_frame(
    new_page, shared_live_server
):
    phone = new_page(shared_live_server.url, **PHONE).open()
    cdp = phone.page.context.new_cdp_session(phone.page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
    phone.train_to(40)
    # The draws were costly enough to be paced (slowed four times, a phone's draw takes well
    # over a display refresh's share; on a loaded machine, over the floor rate's too, and
    # then the loss chart is left out of every other draw)...
    paced = phone.page.evaluate(
        """async () => {
            const m = await import('/static/js/draw-loop.js');
            return playground.pacer.cost / m.DRAW_SHARE > m.REFRESH_MS;
        }"""
    )
    assert paced
    # ...and the last frame, sent as the run paused, is the one on screen.
    last = newest_shown(phone)
    shown = phone.page.locator("[data-readout=epoch]").inner_text()
    assert shown.replace(",", "") == str(last["epoch"]).zfill(6)
    # Paced, the readouts and the loss chart may skip playing frames, never the last one.
    phone.page.wait_for_function(
        "(epoch) => { const c = playground.chart;"
        " return !c.dirty && (c.tail ? c.tail.epoch : c.epochs[c.epochs.length - 1]) === epoch; }",
        arg=last["epoch"],
    )


def test_readouts_edit_their_text_in_place_frame_after_frame(pg):
    pg.open()
    node = "document.querySelector('[data-readout=epoch]').firstChild"
    pg.train_to(3)
    pg.page.evaluate(f"() => {{ window.kept = {node}; }}")
    pg.train_to(pg.epoch() + 5)
    last = newest_shown(pg)
    # The same text node, with the new value: a new node would be restyled and relaid out.
    assert pg.page.evaluate(f"() => {node} === window.kept")
    assert pg.page.evaluate("() => window.kept.data").replace(",", "") == str(last["epoch"]).zfill(
        6
    )


# A device whose every draw costs `cost` ms (as the pacer measures it): the pacer's input is
# fixed, so what it decides does not depend on how fast or loaded the machine is; the rest of
# the page (the draw loop, the socket, the server) runs as it is.
DRAW_COST = """(cost) => {
    const pacer = window.playground.pacer;
    pacer.measured = () => {};
    pacer.cost = cost;
}"""
# The draw cost (ms) at which the pacer's floor rate takes exactly its share of the thread.
FLOOR_COST = """async () => {
    const m = await import('/static/js/draw-loop.js');
    return (m.DRAW_SHARE * 1000) / m.MIN_DRAW_RATE;
}"""
# Records when each binary frame reaches the page, from the answer to a ping sent now on: the
# server handles a socket's messages in order and sends on it in order, so every frame after
# that pong went out under the `view` sent before it.
FRAME_TIMES = """() => {
    window.frameTimes = [];
    let after = false;
    playground.socket.ws.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') {
            if (after) window.frameTimes.push(performance.now());
        } else if (JSON.parse(event.data).type === 'pong') {
            after = true;
        }
    });
    playground.socket.send('ping', {t: 1});
}"""


def views(wire) -> list[dict]:
    return [m["data"] for m in wire.sent if m.get("type") == "view"]


def test_a_page_asks_the_server_for_the_rate_its_pacer_draws_at_and_lifts_it(pg):
    pg.open("fps=60&epochs_per_frame=1")
    floor = pg.page.evaluate("async () => (await import('/static/js/draw-loop.js')).MIN_DRAW_RATE")
    floor_cost = pg.page.evaluate(FLOOR_COST)
    pg.page.evaluate(DRAW_COST, 2 * floor_cost)  # a phone: slower than the floor allows
    pg.page.click("[data-action=play]")
    asked = pg.wire.wait("a view message", lambda: views(pg.wire))
    assert asked == [{"max_fps": floor}]  # the rate it draws at
    pg.page.evaluate(FRAME_TIMES)
    count = 25
    pg.page.wait_for_function(f"() => window.frameTimes.length >= {count}")
    times = pg.page.evaluate("() => window.frameTimes")[:count]
    # The server sends them one slot apart (one late lets the next come at once): they span
    # (count - 2) slots or more; half of it, for a page that read the first one late. The
    # session makes 60 a second.
    assert times[-1] - times[0] >= 0.5 * 1000 * (count - 2) / floor
    assert views(pg.wire) == [{"max_fps": floor}]  # asked once: a steady cost, no flapping
    pg.page.click("[data-action=play]")
    pg.wire.wait("paused", lambda: pg.wire.messages("status")[-1]["state"] == "paused")
    paused = pg.wire.messages("status")[-1]
    last = pg.wire.wait(
        "the paused frame",
        lambda: pg.wire.frames[-1].header["state"] == "paused" and pg.wire.frames[-1].header,
    )
    assert last["epoch"] == paused["epoch"]
    assert newest_shown(pg)["epoch"] == paused["epoch"]  # the final state is on screen
    # Draws become cheap (well under the floor's budget): the next draw lifts the limit.
    pg.page.evaluate(DRAW_COST, 0.25 * floor_cost)
    pg.page.click("[data-action=play]")
    pg.wire.wait("the limit lifted", lambda: len(views(pg.wire)) == 2)
    assert views(pg.wire) == [{"max_fps": floor}, {"max_fps": None}]


def test_a_paced_page_asks_again_on_the_socket_it_reopens(pg):
    pg.open()
    floor = pg.page.evaluate("async () => (await import('/static/js/draw-loop.js')).MIN_DRAW_RATE")
    pg.page.evaluate(DRAW_COST, 2 * pg.page.evaluate(FLOOR_COST))
    pg.page.click("[data-action=play]")
    assert pg.wire.wait("a view message", lambda: views(pg.wire)) == [{"max_fps": floor}]
    sockets = len(pg.wire.sockets)
    pg.page.evaluate("() => playground.socket.ws.close()")  # dropped: the page reconnects
    # A new socket starts unpaced on the server: the page tells it its rate again.
    pg.wire.wait("the view on the new socket", lambda: len(views(pg.wire)) == 2)
    assert views(pg.wire) == [{"max_fps": floor}] * 2
    assert len(pg.wire.sockets) == sockets + 1


def test_a_fast_page_never_asks_for_fewer_frames(pg):
    pg.open()
    pg.page.evaluate(DRAW_COST, 0.25 * pg.page.evaluate(FLOOR_COST))  # a laptop
    before = len(views(pg.wire))  # its first draws were measured for real (a loaded machine)
    pg.train_to(30)
    newest_shown(pg)
    # Nothing asked, or (had those first draws been slow) only the lifting of that limit.
    assert views(pg.wire)[before:] in ([], [{"max_fps": None}])


def test_only_a_page_paced_to_its_floor_asks_for_fewer_frames_and_lifts_it_well_below(pg):
    pg.open()
    rates = pg.page.evaluate(
        """async () => {
            const m = await import('/static/js/draw-loop.js');
            const floorCost = (m.DRAW_SHARE * 1000) / m.MIN_DRAW_RATE; // paced to the floor
            const rateAt = (cost, asked) => {
                const pacer = new m.DrawPacer();
                pacer.cost = cost;
                return pacer.rate(asked);
            };
            return {
                laptop: rateAt(2, null),  // a draw of 2 ms: never asks
                phone: rateAt(floorCost * 1.5, null),
                near: rateAt(floorCost * 0.9, m.MIN_DRAW_RATE),  // keeps asking: no flapping
                cheaper: rateAt(floorCost * 0.5, m.MIN_DRAW_RATE),  // lifted
                floor: m.MIN_DRAW_RATE,
            };
        }"""
    )
    assert rates["laptop"] is None and rates["cheaper"] is None
    assert rates["phone"] == rates["near"] == rates["floor"]


# Counts, from now on, the draws of a frame, the changes of the epoch readout's text and the
# restyles of the links (one observer callback per task that restyled some).
COUNT_READOUTS = """() => {
    const node = document.querySelector('[data-readout=epoch]').firstChild;
    window.readouts = {changes: 0, restyles: 0, drawn: playground.stats.drawn,
                       since: performance.now()};
    new MutationObserver((records) => { window.readouts.changes += records.length; })
        .observe(node, {characterData: true});
    new MutationObserver(() => { window.readouts.restyles += 1; })
        .observe(document.querySelector('.link-lines'),
                 {attributeFilter: ['stroke', 'stroke-width'], subtree: true});
}"""
READOUTS_SO_FAR = """() => ({changes: window.readouts.changes, restyles: window.readouts.restyles,
    drawn: playground.stats.drawn - window.readouts.drawn,
    ms: performance.now() - window.readouts.since})"""


def count_readouts_while_playing(pg, draws: int) -> dict:
    """Plays until the page drew `draws` frames from now, then pauses; the counts meanwhile."""
    pg.page.click("[data-action=play]")
    pg.wire.wait("playing", lambda: pg.wire.frames[-1].header["state"] == "playing")
    pg.page.evaluate(COUNT_READOUTS)
    pg.page.wait_for_function(f"() => playground.stats.drawn - window.readouts.drawn >= {draws}")
    counts = pg.page.evaluate(READOUTS_SO_FAR)
    pg.page.click("[data-action=play]")
    pg.wire.wait("the paused frame", lambda: pg.wire.frames[-1].header["state"] == "paused")
    return counts


def test_a_page_paced_to_its_floor_refreshes_the_readouts_a_few_times_a_second(pg):
    pg.open("fps=30&epochs_per_frame=1")
    every = pg.page.evaluate("async () => (await import('/static/js/draw-loop.js')).READOUTS_MS")
    pg.page.evaluate(DRAW_COST, 2 * pg.page.evaluate(FLOOR_COST))  # a phone
    pg.train_to(5)  # its first draw asks for fewer frames: paced from then on
    assert views(pg.wire)
    counts = count_readouts_while_playing(pg, 40)
    # Every draw showed a new map; the numbers changed at most once per READOUTS_MS (or once
    # a draw was late: drawn on their own), so far fewer times than the maps.
    assert counts["changes"] <= 2 + counts["ms"] / (every * 0.6)
    assert counts["changes"] < counts["drawn"]
    # The links too (each restyle repaints them all): a few times a second.
    assert 0 < counts["restyles"] <= 2 + counts["ms"] / (every * 0.6)
    # Stopped, the readouts, the chart and the links end on the last frame.
    last = newest_shown(pg)
    weight = float(pg.wire.frames[-1].array("weights")[0])  # the first link's (layer 0, 0 -> 0)
    width = round(min(10, 1 + abs(weight) / 5 * 9) * 2) / 2  # network-view.js at the CSS size
    expect(pg.page.locator(".link").first).to_have_attribute("stroke-width", f"{width:g}")
    pg.page.wait_for_function(
        "(epoch) => document.querySelector('[data-readout=epoch]').textContent"
        ".replaceAll(',', '') === String(epoch).padStart(6, '0')",
        arg=last["epoch"],
    )
    pg.page.wait_for_function(
        "(epoch) => { const c = playground.chart;"
        " return !c.dirty && (c.tail ? c.tail.epoch : c.epochs[c.epochs.length - 1]) === epoch; }",
        arg=last["epoch"],
    )


def test_a_fast_page_shows_every_drawn_frames_readouts(pg):
    pg.open("fps=30&epochs_per_frame=1")
    pg.page.evaluate(DRAW_COST, 0.25 * pg.page.evaluate(FLOOR_COST))  # a laptop
    pg.train_to(5)
    counts = count_readouts_while_playing(pg, 20)
    # Each drawn frame is a new epoch, and its number is on screen with its map.
    assert counts["changes"] == counts["drawn"]


def test_the_pacer_measures_only_the_draws_it_is_told_to(pg):
    pg.open()
    first = pg.page.evaluate(
        """async () => {
            const m = await import('/static/js/draw-loop.js');
            const pacer = new m.DrawPacer();
            const samples = [];
            const measured = pacer.measured.bind(pacer);
            pacer.measured = (ms) => { samples.push(ms); measured(ms); };
            // A draw that left the readouts out (cheaper than a whole one), then a whole one.
            // Their samples would arrive in order: had the first been measured, its sample
            // (a second old, capped at 250 ms) would come first.
            pacer.drew(performance.now() - 1000, false);
            pacer.drew(performance.now() - 20, true);
            await new Promise((done) => {
                const wait = () => (samples.length ? done() : setTimeout(wait, 1));
                wait();
            });
            return samples[0];
        }"""
    )
    assert 20 <= first < 250
