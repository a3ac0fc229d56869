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


# Counts the maps painted onto the hidden and output neurons' canvases from now on.
COUNT_NEURON_PAINTS = """() => {
    window.neuronPaints = 0;
    const put = CanvasRenderingContext2D.prototype.putImageData;
    CanvasRenderingContext2D.prototype.putImageData = function (...args) {
        if (this.canvas.closest('.node.neuron')) window.neuronPaints += 1;
        return put.apply(this, args);
    };
}"""


def test_thumbnails_a_frame_carries_over_are_not_painted_again(pg):
    pg.open()
    # The first draw may come before the network is known to be on screen: it is painted
    # once it is (a redraw); counted from then on.
    pg.page.wait_for_function(PAINTED)
    pg.page.evaluate(COUNT_NEURON_PAINTS)
    # A frame without thumbnails (a hovered neuron's map) is drawn: the neurons keep theirs.
    mark = pg.wire.mark()
    pg.page.hover('[data-layer="1"][data-neuron="0"]')
    frame = pg.wire.frame_after(mark, lambda f: f.has("selected"))
    assert not frame.has("neurons")
    pg.page.wait_for_function(
        "(seq) => window.playground.page.last.seq >= seq", arg=frame.header["seq"]
    )
    assert pg.page.evaluate("() => window.neuronPaints") == 0
    assert pg.page.evaluate(PAINTED)
    # New thumbnails are painted, every neuron's.
    neurons = pg.page.locator(".node.neuron").count()
    pg.page.mouse.move(0, 0)
    pg.train_to(10)
    pg.page.wait_for_function(f"() => window.neuronPaints >= {neurons}")
    # Another palette: the same maps in other colours, painted again.
    painted = pg.page.evaluate("() => window.neuronPaints")
    pg.page.select_option("[data-ui=palette]", index=1)
    pg.page.wait_for_function(f"() => window.neuronPaints >= {painted + neurons}")
