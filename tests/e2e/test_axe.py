"""No WCAG 2.1 A/AA violation that axe-core can find, on every page and mode of the one page:
solo, instructor, follower, fork, a share link, presentation mode, the colour-blind palette,
several classes, the options panel and the classroom landing page."""

from __future__ import annotations

import pytest

from app.lessons import course
from tests.app.classroom.server import Server
from tests.e2e.axe import report, violations
from tests.e2e.test_modes import DRAWN, MODE_IS, instructor, student

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("axe") / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def open_page(new_page):
    """Pages whose Content-Security-Policy (only the page's own scripts) lets axe-core in:
    the test injects it; the page itself never loads it."""
    return lambda url, **options: new_page(url, bypass_csp=True, **options)


def assert_clean(pg, where: str) -> None:
    found = violations(pg.page)
    assert not found, f"axe-core finds WCAG 2.1 A/AA violations ({where}):\n{report(found)}"


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
def test_the_solo_page_has_no_violations(open_page, server, hash_):
    pg = open_page(server.base).open(hash_)
    pg.train_to(3)  # the chart, the readouts and the maps all drawn
    assert_clean(pg, f"solo #{hash_}")


def test_the_options_panel_and_the_share_box_have_no_violations(open_page, server):
    pg = open_page(server.base).open()
    pg.page.click("[data-action=share]")
    pg.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    pg.page.click("[data-action=settings]")  # over the page: opened last
    assert_clean(pg, "options and share open")


def test_the_classroom_landing_and_join_pages_have_no_violations(open_page, server):
    pg = open_page(server.base)
    pg.page.goto(f"{server.base}/classroom")
    pg.page.wait_for_selector("[data-landing]:not([hidden])")
    assert_clean(pg, "classroom landing")
    room = server.new_room()
    pg.page.goto(f"{server.base}/room/{room['code']}")
    pg.page.wait_for_selector("[data-join-form]:not([hidden])")
    assert_clean(pg, "room join form")


def test_every_room_mode_and_a_share_link_have_no_violations(open_page, server):
    teacher, code = instructor(open_page, server)
    assert_clean(teacher, "instructor")
    teacher.page.keyboard.press("p")  # presentation mode on the projector
    teacher.page.wait_for_function("() => document.body.classList.contains('presentation')")
    assert_clean(teacher, "instructor, presentation mode")

    pupil = student(open_page, server, code)
    assert_clean(pupil, "follower")
    pupil.page.click("[data-action=fork]")
    pupil.page.wait_for_function(MODE_IS.format("fork"))
    pupil.page.wait_for_function(
        "() => !document.querySelector('[data-field=learning_rate]').disabled"
    )
    assert_clean(pupil, "fork")

    pupil.page.click("[data-action=share]")
    pupil.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    visitor = open_page(server.base)
    visitor.page.goto(pupil.page.input_value("[data-share-url]"))
    visitor.page.wait_for_function(MODE_IS.format("snapshot"))
    visitor.page.wait_for_function(DRAWN)
    assert_clean(visitor, "snapshot")


def test_the_lessons_menu_and_an_opened_lesson_have_no_violations(open_page, server):
    pg = open_page(server.base).open("lesson=feature-map")
    pg.page.wait_for_function(
        "() => document.querySelector('[data-lesson]').dataset.lessonId === 'feature-map'"
    )
    # The lesson pauses at stop_at with every check met; a check not met (yet, or in a run the
    # student changed) has a style of its own, so one line of each state is on the page for axe.
    stop_at = next(lesson.stop_at for lesson in course() if lesson.id == "feature-map")
    pg.wire.wait(
        f"the frame of epoch {stop_at}, paused",
        lambda: any(
            f.header["epoch"] == stop_at and f.header["state"] == "paused" for f in pg.wire.frames
        ),
    )
    pg.page.wait_for_function(
        """() => {
            const items = [...document.querySelectorAll('[data-lesson-checks] li')];
            return items.length > 0 && items.every(li => li.dataset.met === 'true');
        }"""
    )
    pg.page.evaluate(
        """() => {
            const list = document.querySelector('[data-lesson-checks]');
            const unmet = list.firstElementChild.cloneNode(true);
            unmet.dataset.met = 'false';
            list.append(unmet);
        }"""
    )
    pg.page.locator("[data-lessons-menu] summary").press("Enter")
    pg.page.wait_for_selector("[data-lesson-link]")
    assert_clean(pg, "an opened lesson (a check met, a check not), the lessons menu open")


def test_the_compare_view_has_no_violations(open_page, server):
    pg = open_page(server.base).open()
    page = pg.page
    page.click("[data-compare-open]")
    page.select_option("[data-compare-field]", "optimizer")  # a value input per variant
    assert_clean(pg, "compare form, field variants")
    page.select_option("[data-compare-field]", "seed")
    mark = pg.wire.mark()
    page.click("[data-compare-form] button[type=submit]")
    pg.wire.frame_after(mark, lambda f: f.header["type"] == "compare" and f.header["epoch"] >= 3)
    page.wait_for_selector("[data-compare-card=ensemble]")
    assert_clean(pg, "compare view, 4 seeds and the ensemble")
