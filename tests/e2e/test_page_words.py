"""The page speaks words: dataset names under the thumbnails, labelled options and sliders,
a header of its own; and a new dataset starts the run (and the loss chart) over."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Each dataset name whole, inside its thumbnail's button (not cut off, not spilling over).
NAMES_FIT = """els => els.map(e => {
    const r = e.getBoundingClientRect(), b = e.parentElement.getBoundingClientRect();
    const whole = e.scrollWidth <= e.clientWidth + 1;
    return [e.textContent, r.height > 6 && whole && r.left >= b.left - 1 && r.right <= b.right + 1];
})"""


def assert_names_fit(page):
    fits = page.locator("[data-dataset] .dataset-name").evaluate_all(NAMES_FIT)
    assert all(ok for _, ok in fits), fits


def test_dataset_thumbnails_carry_visible_distinct_names(pg):
    pg.open()
    names = pg.page.locator("[data-dataset] .dataset-name")
    expect(names.first).to_be_visible()
    texts = names.all_inner_texts()
    assert len(texts) == pg.page.locator("[data-dataset]").count() >= 8
    assert len(set(texts)) == len(texts)
    by_name = dict(
        zip(
            pg.page.locator("[data-dataset]").evaluate_all(
                "els => els.map(e => e.dataset.dataset)"
            ),
            texts,
            strict=True,
        )
    )
    assert by_name["gauss"] != by_name["blobs"] and by_name["spiral"] != by_name["spirals"]
    assert_names_fit(pg.page)


def test_options_panel_shows_words_and_every_slider_a_visible_label(pg):
    pg.open()
    pg.page.click("[data-action=settings]")
    panel = pg.page.locator("[data-advanced]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-control=fps] .label")).to_have_text("Frames per second")
    expect(panel.locator("[data-control=grid_size] .label")).to_have_text("Map resolution")
    labels = panel.locator(".label").all_inner_texts()
    assert labels and not [t for t in labels if "_" in t or not t[:1].isupper()], labels
    # Sliders with a visible label (the weight editor's slider is named by aria-label).
    sliders = pg.page.locator("input[type=range]:not([data-hovercard-slider])")
    assert sliders.count() >= 4
    for i in range(sliders.count()):
        words = sliders.nth(i).evaluate(
            """el => {
                const l = el.closest('label').querySelector('.label');
                const r = l.getBoundingClientRect();
                return r.width > 0 && r.height > 0 ? l.textContent.trim() : '';
            }"""
        )
        assert words, sliders.nth(i).evaluate("el => el.outerHTML")


def test_header_is_in_our_own_words(pg):
    pg.open()
    header = pg.page.locator("[data-region=header]").inner_text()
    assert "Playground" in header
    assert "Tinker with a" not in header and "can't break it" not in header


def test_a_new_dataset_resets_the_epoch_and_the_loss_chart(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] >= 40)
    chart = "() => window.playground.chart.epochs.length"
    pg.page.wait_for_function(f"() => ({chart})() > 10")
    mark = pg.wire.mark()
    pg.page.click("[data-dataset=xor]")
    pg.wire.config_after(mark, lambda c: c["dataset"] == "xor", "dataset xor")
    first = pg.wire.frame_following("config", lambda d: d["config"]["dataset"] == "xor")
    assert first.header["epoch"] < 40
    pg.page.click("[data-action=play]")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    # The chart starts again: it holds at most one point per frame of the new run.
    epochs = pg.page.evaluate("() => window.playground.chart.epochs")
    new_frames = pg.wire.frames[pg.wire.frames.index(first) :]
    assert 0 < len(epochs) <= len(new_frames)
    assert epochs[-1] <= new_frames[-1].header["epoch"]
