"""At the fastest speed the page still redraws at least 10 times a second."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_as_fast_as_possible_still_redraws_many_times_a_second(pg):
    pg.open()
    # The last stop of the speed slider: "as fast as possible" (1000 epochs a frame).
    slider = pg.page.locator("[data-speed]")
    slider.fill(slider.get_attribute("max"))
    pg.wire.config_after((0, 0, 0), lambda c: c["epochs_per_frame"] == 1000, "the fastest speed")
    assert pg.page.locator("[data-readout=speed]").inner_text() == "as fast as possible"
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] > 0)
    start = pg.page.evaluate("() => [performance.now(), window.playground.stats.drawn]")
    # Wait for a state (two seconds of wall time in the page), then count the draws.
    pg.page.wait_for_function("t => performance.now() - t >= 2000", arg=start[0], polling=100)
    end = pg.page.evaluate("() => [performance.now(), window.playground.stats.drawn]")
    draws, seconds = end[1] - start[1], (end[0] - start[0]) / 1000
    # 10 a second is the aim; the bound leaves room for a loaded machine, while one frame
    # per 1000 epochs (the old pacing) drew about once a second.
    assert draws >= 6 * seconds, (draws, seconds)
    pg.page.click("[data-action=play]")
