"""The playground page's way into the classroom: "Teach a class" and "Join a class"."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

MODE_IS = "() => document.querySelector('[data-mode-badge]').dataset.mode === '{}'"


def test_teach_a_class_creates_a_room_starting_from_the_playgrounds_settings(new_page, room_server):
    pg = new_page(room_server.base).open()
    mark = pg.wire.mark()
    pg.page.select_option("[data-field=learning_rate]", "0.3")
    pg.page.select_option("[data-field=activation]", "sigmoid")
    pg.wire.config_after(
        mark, lambda c: c["learning_rate"] == 0.3 and c["activation"] == "sigmoid", "lr and act"
    )

    pg.page.click("[data-class-link=teach]")
    pg.page.wait_for_url(re.compile(r"/classroom#.*learning_rate=0\.3"))
    assert pg.page.locator("[data-carried]").is_visible()
    mark = pg.wire.mark()
    pg.page.click("[data-action=create_room]")
    pg.page.wait_for_url(re.compile(r"/room/[A-Z0-9]{6}$"))
    pg.page.wait_for_function(MODE_IS.format("instructor"))
    code = pg.page.locator("[data-region=room-bar] [data-room-code]").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{6}", code)
    assert pg.page.locator("[data-join-url]").inner_text().endswith(f"/room/{code}")
    # The room's live run took the playground's settings: its config echo and its controls.
    pg.wire.config_after(
        mark, lambda c: c["learning_rate"] == 0.3 and c["activation"] == "sigmoid", "carried"
    )
    pg.page.wait_for_function(
        "() => document.querySelector('[data-field=learning_rate]').value === '0.3'"
    )


def test_join_a_class_leads_to_the_code_form_and_into_the_room(new_page, room_server):
    code = room_server.new_room()["code"]
    pg = new_page(room_server.base).open()
    pg.page.click("[data-class-link=join]")
    pg.page.wait_for_url(re.compile(r"/classroom#join$"))
    field = pg.page.locator("[data-code-input]")
    assert field.evaluate("el => el === document.activeElement")
    assert pg.page.locator("[data-carried]").is_hidden()
    field.fill(code.lower())
    field.press("Enter")
    pg.page.wait_for_url(re.compile(rf"/room/{code}$"))
    pg.page.fill("[data-name-input]", "Grace")
    pg.page.click("[data-action=join]")
    pg.page.wait_for_function(MODE_IS.format("follower"))
