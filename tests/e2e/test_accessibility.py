"""Every control has a name a screen reader can announce, and works from the keyboard."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

UNNAMED = """() => {
    const name = (el) =>
        el.getAttribute('aria-label') ||
        (el.labels && [...el.labels].map(l => l.textContent.trim()).join(' ')) ||
        (el.tagName === 'BUTTON' && el.textContent.trim()) ||
        el.title || '';
    const controls = document.querySelectorAll(
        'button, select, input, [role=switch], [role=radio], [tabindex]'
    );
    return [...controls].filter(el => !name(el).trim()).map(el => el.outerHTML.slice(0, 120));
}"""


def test_every_control_has_an_accessible_name(pg):
    pg.open("dataset=blobs&num_classes=3&loss=cross_entropy")
    pg.wire.config_after((0, 0, 0), lambda c: c["num_classes"] == 3, "three classes")
    pg.page.click("[data-action=settings]")  # the generated options panel too
    assert pg.page.evaluate(UNNAMED) == []


def test_features_toggle_from_the_keyboard(pg):
    pg.open()
    node = pg.page.locator("[data-feature=sin_x1]")
    assert node.get_attribute("role") == "switch"
    assert node.get_attribute("aria-checked") == "false"
    mark = pg.wire.mark()
    node.focus()
    pg.page.keyboard.press("Enter")
    pg.wire.config_after(mark, lambda c: "sin_x1" in c["features"], "sin_x1 on")
    pg.page.wait_for_function(
        "() => document.querySelector('[data-feature=sin_x1]').ariaChecked === 'true'"
    )


def test_focusing_a_neuron_from_the_keyboard_shows_its_map(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.focus('[data-layer="2"][data-neuron="1"]')
    pg.wire.frame_after(mark, lambda f: f.has("selected"))
    assert {"type": "select_node", "data": {"layer": 2, "neuron": 1}} in pg.wire.sent
