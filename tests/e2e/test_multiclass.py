"""Multi-class: class colours, the map blended by class probability, a class picker."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HASH = "dataset=blobs&num_classes=4&loss=cross_entropy&hidden=6,4&learning_rate=0.1"


def distinct_map_colours(page):
    return page.evaluate(
        """() => {
            const c = document.querySelector('[data-map]');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 4) {
                seen.add((d[i] >> 4) * 256 + (d[i + 1] >> 4) * 16 + (d[i + 2] >> 4));
            }
            return seen.size;
        }"""
    )


def test_four_classes_train_with_blended_map_picker_and_confusion_matrix(pg):
    pg.open(HASH)
    pg.wire.config_after((0, 0, 0), lambda c: c["num_classes"] == 4, "num_classes=4")
    frame = pg.wire.frame_after((0, 0, 0), lambda f: f.array("output").ndim == 3)
    assert frame.array("output").shape[2] == 4
    expect(pg.page.locator("[data-point-class]")).to_have_count(4)
    expect(pg.page.locator("[data-control=num_classes]")).to_be_visible()
    expect(pg.page.locator("[data-field=num_classes]")).to_have_value("4")
    pg.train_to(60)
    confusion = pg.page.locator("[data-confusion]")
    expect(confusion).to_be_visible()
    expect(confusion.locator("tr")).to_have_count(5)
    # Blending four class colours by probability gives many distinct colours.
    assert distinct_map_colours(pg.page) > 8
    colours = pg.page.locator("[data-point-class]").evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert len(set(colours)) == 4
    pg.screenshot("multiclass-blobs")

    before = pg.page.evaluate("() => document.querySelector('[data-map]').toDataURL()")
    pg.page.select_option("[data-ui=class_view]", "2")
    pg.page.wait_for_function(
        "before => document.querySelector('[data-map]').toDataURL() !== before", arg=before
    )
    assert "class_view=2" in pg.page.evaluate("location.hash")


def test_num_classes_select_reaches_the_server(pg):
    pg.open("dataset=spirals")
    mark = pg.wire.mark()
    pg.page.select_option("[data-field=num_classes]", "3")
    pg.wire.config_after(mark, lambda c: c["num_classes"] == 3, "num_classes=3")
    data = pg.wire.message_after(mark, "dataset", lambda d: d["num_classes"] == 3)
    assert {p[2] for p in data["points"]} == {0, 1, 2}
