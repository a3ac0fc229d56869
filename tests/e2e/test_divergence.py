"""At learning rate 10 training diverges: a banner explains it and offers the fix."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_divergence_banner_explains_and_lowering_the_rate_resets(pg):
    pg.open("problem=regression&dataset=plane")
    banner = pg.page.locator("[data-banner]")
    expect(banner).to_be_hidden()
    mark = pg.wire.mark()
    pg.page.select_option("[data-field=learning_rate]", "10")
    pg.wire.config_after(mark, lambda c: c["learning_rate"] == 10, "learning_rate=10")
    pg.page.click("[data-action=play]")
    status = pg.wire.message_after(mark, "status", lambda d: d["state"] == "diverged")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("diverged")
    expect(banner).to_contain_text(status["message"])
    expect(pg.page.locator("[data-action=play]")).to_have_attribute("aria-pressed", "false")
    pg.screenshot("diverged")

    mark = pg.wire.mark()
    banner.locator("[data-action=lower_lr]").click()
    pg.wire.config_after(mark, lambda c: c["learning_rate"] == 1, "learning_rate=1")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 0)
    expect(banner).to_be_hidden()


def test_a_collapsed_network_raises_the_same_banner(pg):
    """Six ReLU layers at learning rate 10: the loss stays finite but the network collapses."""
    pg.open("hidden=8,8,8,8,8,8&activation=relu&learning_rate=10")
    banner = pg.page.locator("[data-banner]")
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    status = pg.wire.message_after(mark, "status", lambda d: d["state"] == "diverged")
    assert "collapsed" in status["message"]
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("diverged")
    expect(banner).to_contain_text(status["message"])
    frame = pg.wire.frame_after(mark, lambda f: f.header["state"] == "diverged")
    assert frame.header["divergence"] == "collapsed" and frame.header["diverged"] is True
