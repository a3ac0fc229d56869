"""'Share this network' on the playground page: a share link that opens the same network."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytestmark = pytest.mark.browser

CLIPBOARD = ["clipboard-read", "clipboard-write"]


def train_epochs(pg, n):
    mark = pg.wire.mark()
    for _ in range(n):
        pg.page.click("[data-action=step]")
    return pg.wire.frame_after(mark, lambda f: f.header["epoch"] == n)


def share(pg) -> str:
    pg.page.click("[data-action=share]")
    pg.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    return pg.page.input_value("[data-share-url]")


def test_shared_link_opens_the_same_network_with_its_epoch_and_weights(new_page, room_server):
    pg = new_page(room_server.base, permissions=CLIPBOARD).open()
    trained = train_epochs(pg, 3)
    mark = pg.wire.mark()
    url = share(pg)
    assert re.fullmatch(rf"{re.escape(room_server.base)}/s/[A-Za-z0-9_-]+", url)
    assert pg.page.locator("[data-share-box]").is_visible()
    assert pg.wire.sent[-1]["type"] == "export"  # the state came over the page's own socket
    assert pg.wire.message_after(mark, "state")["state"]["trainer"]["epoch"] == 3

    pg.page.click("[data-share-copy]")
    pg.page.wait_for_function("() => document.querySelector('[data-share-copied]').textContent")
    assert pg.page.evaluate("navigator.clipboard.readText()") == url

    visitor = new_page(room_server.base)
    visitor.page.goto(url)
    opened = visitor.wire.wait(
        "the restored network's frame",
        lambda: next((f for f in visitor.wire.frames if f.header["epoch"] == 3), None),
    )
    weights = trained.array("weights")  # every layer's W then b (docs/protocol.md)
    assert np.array_equal(opened.array("weights"), weights)
    # A fresh session's network is different: the equality above is the restore's doing.
    fresh = visitor.wire.frames[0]
    assert fresh.header["epoch"] == 0
    assert not np.array_equal(fresh.array("weights"), weights)
    visitor.page.wait_for_function("() => window.playground.page.last?.epoch === 3")
    assert visitor.page.locator("[data-mode-badge]").get_attribute("data-mode") == "snapshot"


def test_share_error_from_the_server_is_shown_next_to_the_button(new_page, room_server):
    pg = new_page(room_server.base).open()
    train_epochs(pg, 1)
    mark = pg.wire.mark()
    share(pg)
    state = pg.wire.message_after(mark, "state")["state"]
    # Use up this address's share links (60 per 10 minutes) with real saves of the same state.
    for _ in range(80):
        status, body = room_server.post("/api/snapshots", {"state": state})
        if status != 200:
            break
    assert status == 429, body
    pg.page.click("[data-action=close_share]")
    assert pg.page.locator("[data-share-box]").is_hidden()
    pg.page.click("[data-action=share]")
    message = pg.page.locator("[data-share-status]")
    pg.page.wait_for_function(
        "() => document.querySelector('[data-share-status]').dataset.kind === 'error'"
    )
    # Chromium logs the refused request itself; that one entry is this test's point, not a
    # fault. Taken before the text checks so that a failure below reports itself alone.
    errors, pg.console_errors[:] = list(pg.console_errors), []
    assert len(errors) == 1 and "429" in errors[0], errors
    # The server's text ends in a countdown ("try again in 600 s"), which may tick between
    # the two requests: compare the wording, and the countdown only as a number.
    countdown = r"try again in \d+ s"
    assert re.search(countdown, body["detail"]), body
    shown = message.inner_text()
    assert re.sub(countdown, "", shown) == re.sub(countdown, "", body["detail"])
    assert re.search(countdown, shown), shown
    assert message.is_visible()
    assert pg.page.locator("[data-share-box]").is_hidden()
