"""Presentation mode on a projector: the whole run on one screen, large type, big neurons."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_modes import DRAWN, MODE_IS
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
    "colour legend": ".legend",
    "network": "[data-network]",
    "loss chart": "[data-linechart]",
    "epoch": "[data-readout=epoch]",
    "dataset thumbnails": "[data-datasets]",
    "output neuron": ".node.output",
    "last input": ".node.input >> nth=-1",
}


def assert_the_run_fits(page, width, height):
    """Every part of the run on screen, no sideways scroll, no text under 18 px."""
    page.wait_for_function("() => document.querySelectorAll('[data-dataset] canvas').length >= 8")
    for what, selector in RUN.items():
        box = page.locator(selector).first.bounding_box()
        assert box is not None, what
        assert box["x"] >= 0 and box["y"] >= 0, (what, box)
        assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (what, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_names_fit(page)
    # The top bar may take two rows, but it ends above the columns.
    bar = page.locator("[data-region=top-bar]").bounding_box()
    columns = page.locator("main.columns").bounding_box()
    assert bar["y"] + bar["height"] <= columns["y"] + 1
    small = [(what, size) for what, size in page.evaluate(TEXT_SIZES) if size < 18]
    assert not small, small
    # Neurons and links are drawn larger than on the desk page (30 px nodes, 1-10 px links).
    node = page.locator('[data-layer="1"][data-neuron="0"]').bounding_box()
    assert node["width"] >= 36


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_whole_run_fits_the_projector_in_presentation_mode(
    new_page, shared_live_server, width, height
):
    pg = new_page(shared_live_server.url, viewport={"width": width, "height": height})
    pg.open("presentation=true")
    expect(pg.page.locator("body")).to_have_class("presentation")
    assert_the_run_fits(pg.page, width, height)
    pg.screenshot(f"presentation-{width}x{height}")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_instructors_room_page_fits_the_projector_in_presentation_mode(
    new_page, room_server, width, height
):
    room = room_server.new_room()
    teacher = new_page(room_server.base, viewport={"width": width, "height": height})
    teacher.page.goto(room["control_url"])
    teacher.page.wait_for_function(MODE_IS.format("instructor"))
    teacher.page.wait_for_function(DRAWN)
    teacher.page.keyboard.press("p")
    expect(teacher.page.locator("body")).to_have_class("presentation")
    # The room bar (the code students join with) stays on screen above the run.
    code = teacher.page.locator("[data-region=room-bar] [data-room-code]").bounding_box()
    assert code is not None and code["y"] + code["height"] <= height
    assert_the_run_fits(teacher.page, width, height)
    teacher.screenshot(f"presentation-room-{width}x{height}")


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
