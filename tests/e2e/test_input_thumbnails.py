"""Every input node shows its feature's own map; inactive ones are dimmed (reference §1.8)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.browser

THUMB = 20  # the default thumb_size

# The thumbnail's pixels as a (rows, cols, 4) list once it is painted at the thumb size.
PIXELS = """(name) => {
    const c = document.querySelector(`[data-feature=${name}] canvas`);
    if (c.width < 2) return null;
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
}"""


def thumbnail(pg, name: str) -> np.ndarray:
    pixels = pg.wire.wait(f"{name}'s thumbnail", lambda: pg.page.evaluate(PIXELS, name))
    return np.array(pixels, dtype=int).reshape(THUMB, THUMB, 4)


def opacities(pg, name: str) -> tuple[float, float]:
    return tuple(
        pg.page.evaluate(
            """(name) => {
                const node = document.querySelector(`[data-feature=${name}]`);
                const canvas = node.querySelector('canvas');
                return [getComputedStyle(node).opacity, getComputedStyle(canvas).opacity];
            }""",
            name,
        )
    )


def test_an_inactive_feature_shows_its_own_map_dimmed(pg):
    pg.open()
    assert "sin_x1" not in pg.wire.last_config()["features"]
    picture = thumbnail(pg, "sin_x1")
    assert (picture[..., 3] > 0).all()  # painted everywhere, not a blank box
    # sin(x1) changes along x1 only: every row is the same, the columns are not.
    assert (picture == picture[:1]).all()
    assert len({tuple(p) for p in picture[0]}) > 3
    assert opacities(pg, "sin_x1") == ("0.5", "0.4")
    # x1 on the left (-6) and on the right (+6) are the two ends of the colour scale.
    x1 = thumbnail(pg, "x1")
    assert opacities(pg, "x1") == ("1", "1")
    assert not np.array_equal(x1[:, 0], x1[:, -1])


def test_toggling_an_inactive_feature_on_keeps_its_picture(pg):
    pg.open()
    before = thumbnail(pg, "x1_x2")
    mark = pg.wire.mark()
    pg.page.click("[data-feature=x1_x2]")
    pg.wire.config_after(mark, lambda c: "x1_x2" in c["features"], "x1_x2 on")
    seq = pg.wire.frame_after(mark, lambda f: f.has("inputs")).header["seq"]
    pg.page.wait_for_function("(seq) => window.playground.page.last.seq >= seq", arg=seq)
    assert pg.page.get_attribute("[data-feature=x1_x2]", "data-active") == "true"
    assert opacities(pg, "x1_x2") == ("1", "1")
    np.testing.assert_array_equal(thumbnail(pg, "x1_x2"), before)
