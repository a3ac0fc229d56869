"""A dropped socket reconnects by itself and resumes the same session at the same epoch."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_reconnect_after_the_socket_drops_resumes_the_same_epoch(pg):
    pg.open()
    session = pg.wire.messages("hello")[0]["session"]
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] >= 20)
    pg.page.click("[data-action=play]")
    epoch = pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")["epoch"]
    assert epoch >= 20
    pg.wire.wait("the paused epoch's frame", lambda: pg.epoch() == epoch)

    mark = pg.wire.mark()
    # Drop the connection underneath the page, as a flaky classroom network would.
    pg.page.evaluate("() => window.playground.socket.ws.close()")
    hello = pg.wire.message_after(mark, "hello")
    assert hello["session"] == session
    assert hello["resumed"] is True
    assert len(pg.wire.sockets) == 2
    assert "session=" in pg.wire.sockets[1].url
    resumed = pg.wire.frame_after(mark)
    assert resumed.header["epoch"] == epoch
    expect(pg.page.locator("[data-connection]")).to_have_attribute("data-connection", "connected")
    expect(pg.page.locator("[data-readout=epoch]")).to_have_text(
        f"{epoch:06d}"[:3] + "," + f"{epoch:06d}"[3:]
    )
    # Training goes on from there in the same session.
    mark = pg.wire.mark()
    pg.page.click("[data-action=step]")
    assert pg.wire.frame_after(mark, lambda f: f.header["epoch"] == epoch + 1)


def test_an_expired_session_starts_afresh_with_the_pages_config(pg):
    pg.open("hidden=3&learning_rate=0.1")
    pg.wire.config_after((0, 0, 0), lambda c: c["hidden"] == [3], "hidden=3")
    old = pg.wire.messages("hello")[0]["session"]
    mark = pg.wire.mark()
    # As after a server restart: the id the page holds is unknown to the server.
    pg.page.evaluate(
        "() => { playground.socket.session = 'expired'; playground.socket.ws.close(); }"
    )
    hello = pg.wire.message_after(mark, "hello")
    assert hello["resumed"] is False and hello["session"] != old
    config = pg.wire.config_after(mark, lambda c: c["hidden"] == [3], "the page's config again")
    assert config["learning_rate"] == 0.1
    expect(pg.page.locator("[data-connection]")).to_have_attribute("data-connection", "connected")
