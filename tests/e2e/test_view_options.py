"""Page-only view options: discretize, test points, palette, presentation mode, layout sizes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAP_COLOURS = """() => {
    const c = document.querySelector('[data-map]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return [...seen];
}"""

POINTS_PAINTED = """() => {
    const c = document.querySelector('[data-points]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
    return n;
}"""


def same_colours(got, expected):
    """Canvas alpha (160/255) is premultiplied, so channels come back within a step or two."""
    parse = [tuple(map(int, c.split(","))) for c in got]
    return len(parse) == len(expected) and all(
        any(max(abs(a - b) for a, b in zip(g, e, strict=True)) <= 3 for g in parse)
        for e in expected
    )


def next_draw(page):
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_discretize_reduces_every_map_to_two_colours(pg):
    pg.open()
    assert len(pg.page.evaluate(MAP_COLOURS)) > 2
    pg.page.check("[data-ui=discretize]")
    next_draw(pg.page)
    colours = pg.page.evaluate(MAP_COLOURS)
    assert same_colours(colours, [(245, 147, 34), (8, 119, 189)]), colours
    assert "discretize=true" in pg.page.evaluate("location.hash")


def test_show_test_data_draws_the_test_points_too(pg):
    pg.open()
    train_only = pg.page.evaluate(POINTS_PAINTED)
    pg.page.keyboard.press("t")
    expect(pg.page.locator("[data-ui=show_test_data]")).to_be_checked()
    next_draw(pg.page)
    assert pg.page.evaluate(POINTS_PAINTED) > 1.5 * train_only


def test_colour_blind_palette_recolours_map_legend_and_points(pg):
    pg.open("discretize=true")
    next_draw(pg.page)
    pg.page.select_option("[data-ui=palette]", "colorblind")
    next_draw(pg.page)
    colours = pg.page.evaluate(MAP_COLOURS)
    assert same_colours(colours, [(230, 97, 1), (94, 60, 153)]), colours
    legend = pg.page.locator(".legend-bar").evaluate("e => getComputedStyle(e).backgroundImage")
    assert "230, 97, 1" in legend
    assert "palette=colorblind" in pg.page.evaluate("location.hash")
    pg.screenshot("colorblind")


def test_presentation_mode_enlarges_type_and_the_map(pg):
    pg.open()
    size = pg.page.locator("[data-heatmap]").bounding_box()["width"]
    font = pg.page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    pg.page.keyboard.press("p")
    expect(pg.page.locator("body")).to_have_class("presentation")
    assert pg.page.locator("[data-heatmap]").bounding_box()["width"] > 1.3 * size
    assert (
        pg.page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)") > 1.3 * font
    )
    pg.screenshot("presentation")


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1024, 768), (768, 1024)])
def test_page_fits_the_width_of_laptops_and_tablets(pg, width, height):
    pg.page.set_viewport_size({"width": width, "height": height})
    pg.open()
    assert pg.page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in ("[data-action=play]", "[data-map]", "[data-feature=x1]", "[data-datasets]"):
        box = pg.page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    pg.screenshot(f"viewport-{width}x{height}")


def test_on_a_touch_tablet_tapping_shows_a_neurons_map_and_edits_a_weight(
    new_page, shared_live_server
):
    tablet = new_page(
        shared_live_server.url, viewport={"width": 1024, "height": 768}, has_touch=True
    )
    tablet.open()
    mark = tablet.wire.mark()
    tablet.page.tap('[data-layer="1"][data-neuron="2"]')
    tablet.wire.frame_after(mark, lambda f: f.has("selected"))
    link = tablet.page.locator('[data-link="2:1:0"]')
    link.tap()
    editor = tablet.page.locator("[data-hovercard] input[type=number]")
    expect(editor).to_be_visible()
    mark = tablet.wire.mark()
    editor.fill("0.75")
    index = (2 + 1) * 4 + (4 + 1) * 2 + 1  # layer 2's W[1, 0] in [2, 4, 2, 1]
    tablet.wire.frame_after(mark, lambda f: f.array("weights")[index] == 0.75)
