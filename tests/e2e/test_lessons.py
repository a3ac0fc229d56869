"""Lessons on the page: /#lesson=<id> plays to stop_at, pauses, and says every check is met."""

from __future__ import annotations

import pytest

from app.lessons import course

pytestmark = pytest.mark.browser
LESSONS = {lesson.id: lesson for lesson in course()}


def _wait_paused_at_stop_at(pg, stop_at: int) -> None:
    pg.wire.wait(
        f"the frame of epoch {stop_at}, paused",
        lambda: any(
            f.header["epoch"] == stop_at and f.header["state"] == "paused" for f in pg.wire.frames
        ),
    )


def _shown_checks(pg, n: int) -> list[tuple[str, str]]:
    """(data-met, text) of each check line once the panel shows `n` of them, all met."""
    pg.page.wait_for_function(
        """n => {
            const items = [...document.querySelectorAll('[data-lesson-checks] li')];
            return items.length === n && items.every(li => li.dataset.met === 'true');
        }""",
        arg=n,
    )
    items = pg.page.locator("[data-lesson-checks] li")
    return [(items.nth(i).get_attribute("data-met"), items.nth(i).inner_text()) for i in range(n)]


@pytest.mark.parametrize("lesson_id", ["feature-map", "l1-l2", "vanishing-gradients"])
def test_a_lesson_link_plays_to_stop_at_pauses_and_shows_every_check_met(pg, lesson_id):
    lesson = LESSONS[lesson_id]
    pg.open(f"lesson={lesson_id}")
    _wait_paused_at_stop_at(pg, lesson.stop_at)
    panel = pg.page.locator("[data-lesson]")
    assert panel.get_attribute("data-lesson-id") == lesson_id
    assert panel.locator("[data-lesson-title]").inner_text() == lesson.title
    shown = _shown_checks(pg, len(lesson.expect))
    for (met, text), expectation in zip(shown, lesson.expect, strict=True):
        assert met == "true" and expectation.label in text
    assert pg.page.locator("[data-lesson-epoch]").inner_text() == (
        f"Epoch {lesson.stop_at} of {lesson.stop_at}"
    )
    assert pg.page.locator("[data-control=play]").get_attribute("aria-pressed") == "false"
    assert pg.console_errors == []


def test_the_lessons_menu_opens_a_lesson_and_now_try_switches_to_its_variant(pg):
    lesson = LESSONS["l1-l2"]
    pg.open()
    pg.page.locator("[data-lessons-menu] summary").click()
    topics = pg.page.locator("[data-lessons-list] h3").all_inner_texts()
    assert topics[0] == "Linear models" and len(topics) == len({x.topic for x in course()})
    pg.page.locator("[data-lesson-link=l1-l2]").click()
    _wait_paused_at_stop_at(pg, lesson.stop_at)
    _shown_checks(pg, len(lesson.expect))
    mark = pg.wire.mark()
    pg.page.locator("[data-lesson-variant='0']").click()
    pg.wire.config_after(mark, lambda c: c["regularization"] == "l2", "L2 regularisation")
    pg.wire.frame_after(
        mark,
        lambda f: (
            f.header["type"] == "frame"  # the lesson opened in the compare view too
            and f.header["epoch"] == lesson.stop_at
            and f.header["state"] == "paused"
            and f.header["lesson"]["variant"] == 0
        ),
    )
    variant = lesson.now_try[0]
    pg.page.wait_for_function(
        "t => document.querySelector('[data-lesson-text]').textContent === t", arg=variant.text
    )
    shown = _shown_checks(pg, len(variant.expect))
    assert "No weight is exactly zero: 0 % = 0 %" in shown[0][1]
    assert pg.console_errors == []


def test_a_reload_reopens_the_lesson_and_leaving_it_drops_it_from_the_url(pg):
    lesson = LESSONS["l1-l2"]
    pg.open("lesson=l1-l2")
    _wait_paused_at_stop_at(pg, lesson.stop_at)
    pg.page.locator("[data-lesson-variant='0']").click()
    pg.page.wait_for_function("() => location.hash === '#lesson=l1-l2&variant=0'")

    mark = pg.wire.mark()
    pg.page.reload()
    pg.wire.message_after(mark, "hello")
    # The new session opens the same "now try" again and plays it to stop_at.
    pg.wire.frame_after(
        mark,
        lambda f: (
            f.header["type"] == "frame"  # the lesson opened in the compare view too
            and f.header["epoch"] == lesson.stop_at
            and f.header["state"] == "paused"
            and (f.header.get("lesson") or {}).get("variant") == 0
        ),
    )
    panel = pg.page.locator("[data-lesson]")
    panel.wait_for(state="visible")
    assert panel.get_attribute("data-lesson-id") == "l1-l2"
    variant = lesson.now_try[0]
    pg.page.wait_for_function(
        "t => document.querySelector('[data-lesson-text]').textContent === t", arg=variant.text
    )
    _shown_checks(pg, len(variant.expect))
    assert "lesson=l1-l2&variant=0" in pg.page.evaluate("location.hash")

    # Leaving the lesson hides the panel; the hash names the run's config again.
    pg.page.locator("[data-lesson-close]").click()
    panel.wait_for(state="hidden")
    pg.page.wait_for_function("() => !location.hash.includes('lesson=')")
    assert "regularization=l2" in pg.page.evaluate("location.hash")
    assert pg.console_errors == []
