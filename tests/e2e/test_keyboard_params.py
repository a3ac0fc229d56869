"""Links and biases: reached with Tab, opened with Enter, edited by typing, closed by Escape."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ACTIVE = """() => {
    const a = document.activeElement;
    return a && (a.dataset.link || a.dataset.bias || '');
}"""


def tab_to(page, wanted, limit=200):
    """Presses Tab until the focused element is the one `wanted` names; returns it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(ACTIVE) == wanted:
            return
    raise AssertionError(f"Tab never reached {wanted}")


def edit_with_keys(pg, selector, wanted, value, index):
    tab_to(pg.page, wanted)
    card = pg.page.locator("[data-hovercard]")
    expect(card).to_be_visible()  # focus shows the value, as hover does
    pg.page.keyboard.press("Enter")
    editor = card.locator("input[type=number]")
    expect(editor).to_be_focused()
    mark = pg.wire.mark()
    pg.page.keyboard.press("Control+a")
    pg.page.keyboard.type(value)
    pg.wire.frame_after(mark, lambda f: abs(f.array("weights")[index] - float(value)) < 1e-6)
    pg.page.keyboard.press("Escape")
    expect(editor).to_be_hidden()
    expect(pg.page.locator(selector)).to_be_focused()


def test_a_weight_and_a_bias_are_edited_from_the_keyboard(pg):
    pg.open()
    pg.page.locator("body").click(position={"x": 5, "y": 5})
    # Weights [2, 4, 2, 1]: layer 0's W is 2x4 then b (4); W[1, 2] is at 1 * 4 + 2.
    edit_with_keys(pg, '[data-link="0:1:2"]', "0:1:2", "0.625", 1 * 4 + 2)
    assert pg.page.locator('[data-link="0:1:2"]').get_attribute("aria-label") == (
        "Weight from X₂ to layer 1 neuron 3"
    )
    # Layer 1's bias of neuron 2: after W0 (8), b0 (4), W1 (8).
    edit_with_keys(pg, '[data-bias="1:1"]', "1:1", "-1.5", 8 + 4 + 8 + 1)
    assert pg.page.locator('[data-bias="1:1"]').get_attribute("aria-label") == (
        "Bias of layer 2 neuron 2"
    )
