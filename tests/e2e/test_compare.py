"""The compare view on the page: K seeds side by side with their ensemble, and lessons that
open in it (static/js/compare.js)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.lessons import course

pytestmark = pytest.mark.browser
LESSONS = {lesson.id: lesson for lesson in course()}


def _compare_frame(pg, mark, check):
    return pg.wire.frame_after(mark, lambda f: f.header["type"] == "compare" and check(f.header))


def _drawn(page, selector: str) -> bool:
    """Whether the canvas has any painted pixel."""
    return page.evaluate(
        """s => {
            const c = document.querySelector(s);
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            return d.some((v, i) => i % 4 === 3 && v > 0);
        }""",
        selector,
    )


def test_open_compare_with_seeds_see_k_maps_and_the_ensemble_then_leave(pg):
    pg.open()
    page = pg.page
    mark = pg.wire.mark()
    # From the keyboard: the view opens on Enter, its form is filled in and submitted.
    page.focus("[data-compare-open]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-compare]")).to_be_visible()
    expect(page.locator("main.columns")).to_be_hidden()
    expect(page.locator("[data-compare-field]")).to_be_focused()
    page.select_option("[data-compare-field]", "seed")
    page.select_option("[data-compare-count]", "3")
    page.focus("[data-compare-form] button[type=submit]")
    page.keyboard.press("Enter")

    sent = pg.wire.wait(
        "the compare start",
        lambda: [m for m in pg.wire.sent[mark[2] :] if m["type"] == "compare"],
    )
    assert sent[0]["data"] == {"action": "start", "seeds": 3}
    started = pg.wire.message_after(mark, "compare", lambda d: d["state"] == "running")
    header = _compare_frame(pg, mark, lambda h: h["epoch"] >= 5).header

    cards = page.locator("[data-compare-card]")
    expect(cards).to_have_count(4)  # three seeds and the ensemble
    for i, name in enumerate(started["labels"]):
        expect(cards.nth(i).locator("[data-compare-label]")).to_have_text(f"{'ABC'[i]}: {name}")
    ensemble = page.locator("[data-compare-card=ensemble]")
    expect(ensemble).to_contain_text("Ensemble: the mean of the 3 seeds")
    expect(ensemble.locator("[data-compare-readout]")).to_contain_text("test accuracy")
    assert "test_accuracy" in header["ensemble"]
    for key in ("0", "1", "2", "ensemble"):
        assert _drawn(page, f"[data-compare-card='{key}'] canvas")
    # The readout of a seed is the frame's: its test accuracy as a percentage.
    first = page.locator("[data-compare-card='0'] [data-compare-readout]")
    expect(first).to_have_text(re.compile(r"test accuracy \d+(\.\d)? %"))
    legend = page.locator("[data-compare-legend] li")
    expect(legend).to_have_count(3)
    expect(legend.nth(1)).to_have_text(f"B: {started['labels'][1]}")
    page.wait_for_function("() => document.querySelector('[data-compare-chart]').width > 0")
    assert _drawn(page, "[data-compare-chart]")
    # Every card is reachable with Tab and names its variant and readouts.
    page.focus("[data-compare-card='0']")
    page.keyboard.press("Tab")
    expect(page.locator("[data-compare-card='1']")).to_be_focused()
    assert started["labels"][1] in page.locator("[data-compare-card='1']").get_attribute(
        "aria-label"
    )

    # Escape leaves: the compare stops and the page's own run is back.
    leave = pg.wire.mark()
    page.keyboard.press("Escape")
    expect(page.locator("[data-compare]")).to_be_hidden()
    expect(page.locator("main.columns")).to_be_visible()
    pg.wire.message_after(leave, "compare", lambda d: d["state"] == "stopped")
    assert pg.console_errors == [] and pg.page_errors == []


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""

    def linear(c: int) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    v = int(hex_colour[1:], 16)
    return 0.2126 * linear(v >> 16) + 0.7152 * linear((v >> 8) & 255) + 0.0722 * linear(v & 255)


def test_the_variant_colours_are_colour_blind_safe_and_readable_on_white(pg):
    pg.open()
    lines = pg.page.evaluate("async () => (await import('/static/js/colors.js')).VARIANT_LINES")
    assert len(lines) == 4
    for line in lines:  # WCAG AA for graphics: 3:1 against the white page
        assert 1.05 / (_luminance(line["color"]) + 0.05) >= 3.0, line
    assert len({line["name"] for line in lines}) == 4  # a letter each
    assert len({tuple(line["dash"]) for line in lines}) == 4  # a dash pattern each


@pytest.mark.parametrize("lesson_id", ["l1-l2", "optimizers"])
def test_a_lesson_opens_in_the_compare_view_with_its_variants(pg, lesson_id):
    lesson = LESSONS[lesson_id]
    pg.open()
    mark = pg.wire.mark()
    pg.page.locator("[data-lessons-menu] summary").click()
    pg.page.locator(f"[data-lesson-link={lesson_id}]").click()
    started = pg.wire.message_after(mark, "compare", lambda d: d["state"] == "running")
    assert started["variants"] == list(lesson.compare)
    assert started["stop_at"] == lesson.stop_at
    expect(pg.page.locator("[data-compare]")).to_be_visible()
    cards = pg.page.locator("[data-compare-card]")
    expect(cards).to_have_count(len(lesson.compare))
    for i, name in enumerate(started["labels"]):
        expect(cards.nth(i)).to_contain_text(name)
    # The lesson's panel stays, with its checks; the variants run to stop_at and pause.
    expect(pg.page.locator("[data-lesson]")).to_be_visible()
    if lesson_id == "l1-l2":
        _compare_frame(pg, mark, lambda h: h["state"] == "paused")
        expect(pg.page.locator("[data-compare-status]")).to_contain_text(
            f"Paused at epoch {lesson.stop_at}"
        )
    # "Now try" is one run again: it leaves the compare view.
    pg.page.locator("[data-lesson-variant='0']").click()
    expect(pg.page.locator("[data-compare]")).to_be_hidden()
    assert pg.console_errors == []
