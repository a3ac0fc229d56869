"""Play, pause, step and reset, confirmed through the frames and status the server sends."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_play_advances_the_epoch_and_the_loss_falls_on_circle(pg):
    pg.open()
    first = pg.wire.frames[-1].header
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "playing")
    late = pg.wire.frame_after(mark, lambda f: f.header["epoch"] >= 150)
    assert late.header["test_loss"] < 0.5 * first["test_loss"]
    pg.page.wait_for_function(
        "() => document.querySelector('[data-readout=epoch]').textContent !== '000,000'"
    )
    assert pg.page.locator("[data-action=play]").get_attribute("aria-pressed") == "true"
    pg.screenshot("circle-trained")
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    assert pg.page.locator("[data-action=play]").get_attribute("aria-pressed") == "false"


def test_step_trains_exactly_one_epoch_and_step_batch_one_mini_batch(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.click("[data-action=step]")
    frame = pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 1)
    assert frame.header["epoch"] == 1
    mark = pg.wire.mark()
    pg.page.click("[data-action=step_batch]")
    pg.wire.frame_after(mark)
    assert {"type": "step", "data": {"batches": 1}} in pg.wire.sent
    assert pg.page.locator("[data-readout=epoch]").inner_text() == "000,001"


def test_reset_returns_to_epoch_zero_with_new_weights(pg):
    pg.open()
    before = pg.wire.frames[-1].array("weights").copy()
    mark = pg.wire.mark()
    pg.page.click("[data-action=step]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 1)
    mark = pg.wire.mark()
    pg.page.click("[data-action=reset]")
    frame = pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 0)
    assert frame.array("weights").shape == before.shape
    assert not (frame.array("weights") == before).all()
    pg.page.wait_for_function(
        "() => document.querySelector('[data-readout=epoch]').textContent === '000,000'"
    )


def test_keyboard_space_plays_s_steps_and_question_mark_opens_help(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.keyboard.press("s")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 1)
    mark = pg.wire.mark()
    pg.page.keyboard.press(" ")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "playing")
    pg.page.keyboard.press(" ")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    pg.page.keyboard.press("?")
    help_box = pg.page.locator("[data-help]")
    assert help_box.is_visible()
    assert "Step one epoch" in help_box.inner_text()
    pg.page.keyboard.press("Escape")
    assert not help_box.is_visible()
