"""The page across a server restart: it reconnects by itself and its session comes back
from the data directory at the same epoch and weights (app.saved_sessions)."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_page_gets_its_session_back_after_the_server_restarts(
    new_page, live_server_factory, tmp_path
):
    server = live_server_factory(data_dir=tmp_path)
    pg = new_page(server.url)
    pg.open("hidden=3,2&dataset=xor")
    session = pg.wire.messages("hello")[0]["session"]
    mark = pg.wire.mark()
    pg.page.click("[data-action=play]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] >= 15)
    pg.page.click("[data-action=play]")
    epoch = pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")["epoch"]
    # The paused state's own frame: under load a slice may end mid-epoch, and earlier frames
    # numbered with this epoch then carry other weights than the paused network.
    before = pg.wire.frame_after(
        mark, lambda f: f.header["epoch"] == epoch and f.header["state"] == "paused"
    )

    mark = pg.wire.mark()
    server.stop()  # SIGTERM, as a deploy restarts the service
    server.start()  # a new process on the same port and data directory
    hello = pg.wire.message_after(mark, "hello")
    assert hello["session"] == session and hello["resumed"] is True
    after = pg.wire.frame_after(mark)
    assert after.header["epoch"] == epoch
    np.testing.assert_array_equal(after.array("weights"), before.array("weights"))
    expect(pg.page.locator("[data-connection]")).to_have_attribute("data-connection", "connected")
    # While the server was away the page's retries were refused: expected, nothing else.
    assert all("ERR_CONNECTION_REFUSED" in e for e in pg.console_errors), pg.console_errors
    pg.console_errors.clear()
    mark = pg.wire.mark()
    pg.page.click("[data-action=step]")
    assert pg.wire.frame_after(mark, lambda f: f.header["epoch"] == epoch + 1)
