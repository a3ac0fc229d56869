"""Presentation mode on a projector: the whole run on one screen, large type, big neurons."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_page_words import assert_names_fit

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1280, 720)]

# Every visible element that holds text of its own, with its font size.
TEXT_SIZES = """() => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        if (!own || !el.getClientRects().length) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden') continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        out.push([el.tagName + '.' + el.className, parseFloat(style.fontSize)]);
    }
    return out;
}"""

RUN = {
    "output map": "[data-heatmap]",
    "network": "[data-network]",
    "loss chart": "[data-linechart]",
    "epoch": "[data-readout=epoch]",
    "dataset thumbnails": "[data-datasets]",
    "output neuron": ".node.output",
    "last input": ".node.input >> nth=-1",
}


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_whole_run_fits_the_projector_in_presentation_mode(
    new_page, shared_live_server, width, height
):
    pg = new_page(shared_live_server.url, viewport={"width": width, "height": height})
    pg.open("presentation=true")
    expect(pg.page.locator("body")).to_have_class("presentation")
    pg.page.wait_for_function(
        "() => document.querySelectorAll('[data-dataset] canvas').length >= 8"
    )
    for what, selector in RUN.items():
        box = pg.page.locator(selector).first.bounding_box()
        assert box is not None, what
        assert box["x"] >= 0 and box["y"] >= 0, (what, box)
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (what, box)
    assert pg.page.evaluate("document.documentElement.scrollWidth") <= width
    assert_names_fit(pg.page)
    # The top bar may take two rows, but it ends above the columns.
    bar = pg.page.locator("[data-region=top-bar]").bounding_box()
    columns = pg.page.locator("main.columns").bounding_box()
    assert bar["y"] + bar["height"] <= columns["y"] + 1
    pg.screenshot(f"presentation-{width}x{height}")
    small = [(what, size) for what, size in pg.page.evaluate(TEXT_SIZES) if size < 18]
    assert not small, small
    # Neurons and links are drawn larger than on the desk page (30 px nodes, 1-10 px links).
    node = pg.page.locator('[data-layer="1"][data-neuron="0"]').bounding_box()
    assert node["width"] >= 36


def test_presentation_mode_scales_links_and_leaves_again(pg):
    pg.open()
    link = pg.page.locator(".link").first
    desk = float(link.get_attribute("stroke-width"))
    node = pg.page.locator('[data-layer="1"][data-neuron="0"]').bounding_box()["width"]
    pg.page.keyboard.press("p")
    expect(pg.page.locator("body")).to_have_class("presentation")
    pg.page.wait_for_function(
        "w => parseFloat(document.querySelector('.link').getAttribute('stroke-width')) > w",
        arg=desk,
    )
    assert pg.page.locator('[data-layer="1"][data-neuron="0"]').bounding_box()["width"] > node
    pg.page.keyboard.press("p")
    expect(pg.page.locator("body")).not_to_have_class("presentation")
    expect(pg.page.locator("[data-region=header]")).to_be_visible()
