"""A room across two hosts in the browser: a Redis outage shows on the pages and clears."""

from __future__ import annotations

import pytest

from tests.app.classroom.server import Server

NOTICE = "document.querySelector('[data-room-notice]')"


@pytest.mark.browser
def test_a_redis_outage_shows_on_the_room_pages_and_clears(new_page, tmp_path, redis_server):
    a = Server(tmp_path / "a", PLAYGROUND_REDIS_URL=redis_server.url).start()
    b = Server(tmp_path / "b", PLAYGROUND_REDIS_URL=redis_server.url).start()
    try:
        room = a.new_room()
        teacher = new_page(a.base)
        teacher.page.goto(room["control_url"])
        student = new_page(b.base)
        student.page.goto(f"{b.base}/room/{room['code']}")
        student.page.fill("[data-name-input]", "Ada")
        student.page.click("[data-action=join]")
        teacher.page.locator("[data-roster] li").first.wait_for()  # Ada, on the other host

        redis_server.stop()
        for pg in (teacher, student):
            pg.page.wait_for_function(
                f"() => !{NOTICE}.hidden && /Redis/.test({NOTICE}.textContent)"
            )
        student.screenshot("classroom-redis-outage")
        redis_server.start()
        for pg in (teacher, student):
            pg.page.wait_for_function(f"() => {NOTICE}.hidden")
        # The room works across the hosts again.
        teacher.page.select_option("[data-field=learning_rate]", "0.3")
        student.page.wait_for_function(
            "() => document.querySelector('[data-field=learning_rate]').value === '0.3'"
        )
    finally:
        a.stop()
        b.stop()
