"""At the fastest speed the page still redraws many times a second: the server sends the
progress of a frame of many epochs (app.pacing.PROGRESS_INTERVAL), and the page draws it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

DRAWN = "() => window.playground.stats.drawn"


def test_as_fast_as_possible_still_redraws_many_times_a_second(pg):
    pg.open()
    # The last stop of the speed slider: "as fast as possible" (1000 epochs a frame).
    slider = pg.page.locator("[data-speed]")
    slider.fill(slider.get_attribute("max"))
    pg.wire.config_after((0, 0, 0), lambda c: c["epochs_per_frame"] == 1000, "the fastest speed")
    assert pg.page.locator("[data-readout=speed]").inner_text() == "as fast as possible"
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    first = pg.wire.frame_after(mark, lambda f: f.header["epoch"] > 0).header["epoch"]
    drawn = pg.page.evaluate(DRAWN)
    # Counted in epochs, not seconds (a loaded machine trains and draws slower alike): one
    # frame per 1000 epochs (the old pacing) drew ten times in 10,000 epochs; progress a
    # tenth of a second apart draws ten times within about 1,500 on this machine.
    pg.page.wait_for_function(f"() => ({DRAWN})() >= {drawn + 10}", polling="raf")
    trained = pg.epoch() - first
    pg.page.click("[data-action=play]")
    assert trained < 5000, trained
