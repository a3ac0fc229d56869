"""Hovering a neuron shows its map in the big output; links and biases can be read and edited."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def values(frame, name):
    spec = next(a for a in frame.header["arrays"] if a["name"] == name)
    return spec["lo"] + frame.array(name).astype(float) * spec["scale"]


def map_pixel(page, row, col):
    return page.evaluate(
        """([row, col]) => {
            const c = document.querySelector('[data-map]');
            return Array.from(c.getContext('2d').getImageData(col, row, 1, 1).data);
        }""",
        [row, col],
    )


def is_orange(rgba):
    return rgba[0] > rgba[2] + 60


def is_blue(rgba):
    return rgba[2] > rgba[0] + 60


def test_hovering_a_neuron_shows_its_full_map_in_the_output(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.hover('[data-layer="1"][data-neuron="0"]')
    frame = pg.wire.frame_after(mark, lambda f: f.has("selected"))
    assert {"type": "select_node", "data": {"layer": 1, "neuron": 0}} in pg.wire.sent[mark[2] :]
    selected = values(frame, "selected")
    output = values(frame, "output")
    # A pixel where the neuron and the output disagree in sign tells which one is drawn.
    rows, cols = np.nonzero((selected * output < 0) & (np.abs(selected) > 0.3))
    if len(rows) == 0:
        rows, cols = np.nonzero(np.abs(selected - output) > 0.3)
    row, col = int(rows[0]), int(cols[0])
    pg.page.wait_for_function(
        "() => window.playground.page.last && window.playground.page.last.arrays.selected"
    )
    pixel = map_pixel(pg.page, row, col)
    assert is_orange(pixel) if selected[row, col] < 0 else is_blue(pixel), pixel
    pg.screenshot("neuron-hovered")
    mark = pg.wire.mark()
    pg.page.mouse.move(5, 5)
    pg.wire.wait("select_node null", lambda: {"type": "select_node", "data": None} in pg.wire.sent)
    # Leaving the neuron brings the output's own map back.
    pg.page.wait_for_function(
        """([row, col, hovered]) => {
            const c = document.querySelector('[data-map]');
            const now = c.getContext('2d').getImageData(col, row, 1, 1).data;
            return now.some((v, i) => v !== hovered[i]);
        }""",
        arg=[row, col, pixel],
    )


def weight_index(sizes, layer, source, target):
    offset = sum((sizes[k] + 1) * sizes[k + 1] for k in range(layer))
    return offset + source * sizes[layer + 1] + target


def test_hover_a_link_shows_its_weight_and_click_edits_it_while_paused(pg):
    pg.open()
    sizes = [2, 4, 2, 1]
    index = weight_index(sizes, 2, 0, 0)
    weight = float(pg.wire.frames[-1].array("weights")[index])
    link = pg.page.locator('[data-link="2:0:0"]')
    link.hover()
    card = pg.page.locator("[data-hovercard]")
    expect(card).to_be_visible()
    shown = pg.page.evaluate("w => w.toPrecision(2)", weight)  # JS formatting of the frame's value
    expect(card).to_contain_text(f"Weight is {shown}")
    before = values(pg.wire.frames[-1], "output").copy()
    link.click()
    editor = card.locator("input[type=number]")
    expect(editor).to_be_focused()
    mark = pg.wire.mark()
    editor.fill("-3")
    frame = pg.wire.frame_after(mark, lambda f: f.array("weights")[index] == -3.0)
    assert frame.header["epoch"] == 0
    assert np.abs(values(frame, "output") - before).max() > 0.1, "the map did not change"
    editor.press("Enter")
    expect(card).to_be_hidden()


def test_click_a_bias_edits_it(pg):
    pg.open()
    bias = pg.page.locator('[data-bias="0:1"]')
    bias.hover()
    expect(pg.page.locator("[data-hovercard]")).to_contain_text("Bias is")
    bias.click()
    mark = pg.wire.mark()
    editor = pg.page.locator("[data-hovercard] input[type=number]")
    editor.fill("1.5")
    editor.press("Enter")
    index = 2 * 4 + 1  # layer 0: W (2x4) then b; neuron 1
    pg.wire.frame_after(mark, lambda f: f.array("weights")[index] == 1.5)
    assert {
        "type": "set_bias",
        "data": {"layer": 1, "neuron": 1, "value": 1.5},
    } in pg.wire.sent


def test_link_colour_and_width_follow_the_weight(pg):
    pg.open()
    index = weight_index([2, 4, 2, 1], 0, 1, 2)
    mark = pg.wire.mark()
    link = pg.page.locator('[data-link="0:1:2"]')
    link.hover()
    link.click()
    pg.page.locator("[data-hovercard] input[type=number]").fill("4")
    pg.wire.frame_after(mark, lambda f: f.array("weights")[index] == 4.0)
    visible = pg.page.locator(".link").nth(1 * 4 + 2)
    expect(visible).to_have_attribute("stroke-width", "8")
    assert is_blue([int(v) for v in visible.get_attribute("stroke")[4:-1].split(",")])
