"""No WCAG 2.1 A/AA violation that axe-core can find, on every page and mode of the one page:
solo, instructor, follower, fork, a share link, presentation mode, the colour-blind palette,
several classes, the options panel and the classroom landing page."""

from __future__ import annotations

import pytest

from tests.app.classroom.server import Server
from tests.e2e.axe import report, violations

pytestmark = pytest.mark.browser

MODE_IS = "() => document.querySelector('[data-mode-badge]').dataset.mode === '{}'"
DRAWN = "() => window.playground && window.playground.page.last"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("axe") / "data").start()
    try:
        yield server
    finally:
        server.stop()


# The page's Content-Security-Policy allows only its own scripts: axe-core is injected into a
# context that bypasses it (the page itself never loads axe-core).


def assert_clean(pg, where: str) -> None:
    found = violations(pg.page)
    assert not found, f"axe-core finds WCAG 2.1 A/AA violations ({where}):\n{report(found)}"


def instructor(new_page, server):
    room = server.new_room()
    teacher = new_page(server.base, bypass_csp=True)
    teacher.page.goto(room["control_url"])
    teacher.page.wait_for_function(MODE_IS.format("instructor"))
    teacher.page.wait_for_function(DRAWN)
    return teacher, room["code"]


def follower(new_page, server, code):
    pupil = new_page(server.base, bypass_csp=True)
    pupil.page.goto(f"{server.base}/room/{code}")
    pupil.page.fill("[data-name-input]", "Ada")
    pupil.page.click("[data-action=join]")
    pupil.page.wait_for_function(MODE_IS.format("follower"))
    pupil.page.wait_for_function(DRAWN)
    return pupil


@pytest.mark.parametrize(
    "hash_",
    [
        "",
        "presentation=true",
        "palette=colorblind",
        "palette=colorblind&presentation=true",
        "dataset=blobs&num_classes=3&loss=cross_entropy",
        "problem=regression&dataset=reg_plane",
    ],
)
def test_the_solo_page_has_no_violations(new_page, server, hash_):
    pg = new_page(server.base, bypass_csp=True).open(hash_)
    pg.train_to(3)  # the chart, the readouts and the maps all drawn
    assert_clean(pg, f"solo #{hash_}")


def test_the_options_panel_and_the_share_box_have_no_violations(new_page, server):
    pg = new_page(server.base, bypass_csp=True).open()
    pg.page.click("[data-action=share]")
    pg.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    pg.page.click("[data-action=settings]")  # over the page: opened last
    assert_clean(pg, "options and share open")


def test_the_classroom_landing_and_join_pages_have_no_violations(new_page, server):
    pg = new_page(server.base, bypass_csp=True)
    pg.page.goto(f"{server.base}/classroom")
    pg.page.wait_for_selector("[data-landing]:not([hidden])")
    assert_clean(pg, "classroom landing")
    room = server.new_room()
    pg.page.goto(f"{server.base}/room/{room['code']}")
    pg.page.wait_for_selector("[data-join-form]:not([hidden])")
    assert_clean(pg, "room join form")


def test_every_room_mode_and_a_share_link_have_no_violations(new_page, server):
    teacher, code = instructor(new_page, server)
    assert_clean(teacher, "instructor")
    teacher.page.keyboard.press("p")  # presentation mode on the projector
    teacher.page.wait_for_function("() => document.body.classList.contains('presentation')")
    assert_clean(teacher, "instructor, presentation mode")

    pupil = follower(new_page, server, code)
    assert_clean(pupil, "follower")
    pupil.page.click("[data-action=fork]")
    pupil.page.wait_for_function(MODE_IS.format("fork"))
    pupil.page.wait_for_function(
        "() => !document.querySelector('[data-field=learning_rate]').disabled"
    )
    assert_clean(pupil, "fork")

    pupil.page.click("[data-action=share]")
    pupil.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    visitor = new_page(server.base, bypass_csp=True)
    visitor.page.goto(pupil.page.input_value("[data-share-url]"))
    visitor.page.wait_for_function(MODE_IS.format("snapshot"))
    visitor.page.wait_for_function(DRAWN)
    assert_clean(visitor, "snapshot")
