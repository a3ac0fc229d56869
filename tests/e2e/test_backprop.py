"""Backprop stepped through on the page: pick a point, step the pass to the update."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NUMBER = r"-?\d+\.\d+(?:e[-+]?\d+)?"


def numbers_after(text: str, name: str) -> float:
    return float(re.search(re.escape(name) + r" = (" + NUMBER + ")", text).group(1))


def test_step_a_pass_through_to_the_update_and_read_one_link(pg):
    pg.open()
    page = pg.page
    mark = pg.wire.mark()
    page.click("[data-bp=pick]")
    expect(page.locator("[data-bp=pick]")).to_have_attribute("aria-pressed", "true")
    page.click("[data-points]")  # the nearest training point to the click is traced
    trace = pg.wire.message_after(mark, "trace", lambda d: True)["trace"]
    sent = [m for m in pg.wire.sent[mark[2] :] if m["type"] == "trace"]
    assert sent[0]["data"]["index"] == trace["point"]["index"]
    assert trace["point"]["split"] == "train"
    readout = page.locator("[data-bp-readout]")
    expect(readout).to_contain_text("Step 1 of")
    expect(page.locator("[data-backprop]")).to_have_attribute("data-step", "input")

    # Keyboard: right steps forward, left steps back.
    page.focus("[data-backprop]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(readout).to_contain_text("Step 3 of")
    page.keyboard.press("ArrowLeft")
    expect(readout).to_contain_text("Step 2 of")
    page.click("[data-bp=forward]")
    expect(readout).to_contain_text("Step 3 of")

    page.click("[data-bp=play]")
    expect(page.locator("[data-bp=forward]")).to_be_disabled(timeout=30_000)
    expect(page.locator("[data-backprop]")).to_have_attribute("data-step", "update")
    # The last step updates the last link: its numbers are the trace's.
    top = trace["layers"][-1]
    i, j = len(top["weights"]) - 1, len(top["weights"][0]) - 1
    text = readout.inner_text()
    assert "w ← w − lr·∂L/∂w" in text
    after = float(re.findall("→ (" + NUMBER + ")", text)[-1])
    assert after == pytest.approx(top["weights_after"][i][j], rel=1e-3, abs=1e-4)

    # One link read on the graph: its value, gradient and value after the update.
    link = page.locator('[data-bp-link="0,0,0"] title').text_content()
    first = trace["layers"][0]
    assert numbers_after(link, "w") == pytest.approx(first["weights"][0][0], rel=1e-3, abs=1e-4)
    grad = numbers_after(link, "∂L/∂w")
    assert grad == pytest.approx(first["weights_grad"][0][0], rel=1e-3, abs=1e-4)
    assert numbers_after(link, "after") == pytest.approx(
        first["weights_after"][0][0], rel=1e-3, abs=1e-4
    )
    assert not pg.page_errors, pg.page_errors
    pg.screenshot("backprop-update")
