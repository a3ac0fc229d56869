"""Frames leave out thumbnails that barely changed: the page keeps showing the last ones."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

HELD = "() => Array.from(window.playground.page.last.arrays.neurons.data)"
PAINTED = """() => {
    const c = document.querySelector('[data-layer="1"][data-neuron="1"] canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return c.width > 1 && data.some((v, i) => i % 4 === 3 && v > 0);
}"""


def test_a_frame_without_thumbnails_keeps_the_last_ones_on_the_page(pg):
    pg.open()
    first = pg.wire.frames[0]
    assert first.has("neurons")
    mark = pg.wire.mark()
    # Hovering asks for a frame with the neuron's full map; the network did not change, so
    # that frame carries no thumbnails.
    pg.page.hover('[data-layer="1"][data-neuron="0"]')
    frame = pg.wire.frame_after(mark, lambda f: f.has("selected"))
    assert not frame.has("neurons")
    pg.page.wait_for_function(
        "(seq) => window.playground.page.last && window.playground.page.last.seq >= seq",
        arg=frame.header["seq"],
    )
    assert pg.page.evaluate(HELD) == first.array("neurons").ravel().tolist()
    assert pg.page.evaluate(PAINTED)
    # Training moves them: frames with thumbnails come again, and the page shows the newest.
    pg.train_to(30)

    def shows_the_newest() -> bool:
        """The page shows the wire's last frame (one may still come after the pause)."""
        latest = [f for f in pg.wire.frames if f.has("neurons")][-1]
        last_seq = pg.wire.frames[-1].header["seq"]
        shown = pg.page.evaluate("() => window.playground.page.last.seq")
        return (
            shown == last_seq and pg.page.evaluate(HELD) == latest.array("neurons").ravel().tolist()
        )

    pg.wire.wait("the page to hold the newest thumbnails", shows_the_newest)
    assert [f for f in pg.wire.frames if f.has("neurons")][-1].header["epoch"] > 0
    assert not pg.console_errors and not pg.page_errors
