"""From start to finish without a mouse: build a network, edit a weight, add a point at the
map's keyboard cursor, play, pause, skip to the output and follow a room. The page counts
every pointer event it sees: there must be none. The focus ring is visible and contrasts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

COUNT_POINTER = """() => {
    window.pointerEvents = 0;
    const types = ['mousedown', 'mouseup', 'mousemove', 'pointerdown', 'pointermove', 'wheel'];
    for (const type of types) {
        addEventListener(type, () => { window.pointerEvents += 1; }, true);
    }
}"""
FOCUSED_IS = "(selector) => document.activeElement && document.activeElement.matches(selector)"


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Presses Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_IS, selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def no_pointer_events(pg) -> None:
    assert pg.page.evaluate("() => window.pointerEvents") == 0


def test_build_edit_add_a_point_play_and_pause_with_the_keyboard_only(pg):
    pg.open()
    pg.page.evaluate(COUNT_POINTER)
    keys = pg.page.keyboard

    # Build: a third hidden layer, a neuron more in the first, a feature on.
    mark = pg.wire.mark()
    tab_to(pg.page, "[data-action=add_layer]")
    keys.press("Enter")
    pg.wire.config_after(mark, lambda c: c["hidden"] == [4, 2, 2], "a third layer")
    mark = pg.wire.mark()
    tab_to(pg.page, "[data-action=add_neuron_0]")
    keys.press("Enter")
    pg.wire.config_after(mark, lambda c: c["hidden"] == [5, 2, 2], "five neurons in layer 1")
    mark = pg.wire.mark()
    tab_to(pg.page, "[data-feature=x1_squared]")
    keys.press("Space")
    pg.wire.config_after(mark, lambda c: "x1_squared" in c["features"], "x1 squared on")

    # A weight: focus shows it, Enter opens the editor, typing sets it, Enter closes it.
    mark = pg.wire.mark()
    tab_to(pg.page, '[data-link="0:0:0"]')
    keys.press("Enter")
    keys.press("Control+a")
    keys.type("0.75")
    pg.wire.frame_after(mark, lambda f: abs(f.array("weights")[0] - 0.75) < 1e-6)
    keys.press("Enter")
    assert pg.page.evaluate(FOCUSED_IS, '[data-link="0:0:0"]')

    # A point: Add mode, then the map's cursor moved by arrows to (2, 1) and Enter.
    tab_to(pg.page, "[data-editor-mode=add]")
    keys.press("Enter")
    tab_to(pg.page, "[data-heatmap]")
    assert pg.page.locator("[data-map-cursor]").is_visible()
    for key in ["ArrowRight"] * 4 + ["ArrowUp"] * 2:
        keys.press(key)
    pg.page.wait_for_function(
        "() => document.querySelector('[data-announcer]').textContent === 'Cursor at x1 2, x2 1'"
    )
    mark = pg.wire.mark()
    keys.press("Enter")
    added = pg.wire.message_after(mark, "dataset")
    assert [2, 1, 1] in [p[:3] for p in added["points"]]
    assert {"type": "add_points", "data": {"points": [[2, 1, 1]]}} in pg.wire.sent[mark[2] :]

    # Play and pause: Space anywhere but on a button.
    mark = pg.wire.mark()
    keys.press("Space")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "playing")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] >= 3)
    mark = pg.wire.mark()
    keys.press("Space")
    pg.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    no_pointer_events(pg)


def test_a_lesson_opens_from_the_menu_with_the_keyboard_only(pg):
    pg.open()
    pg.page.evaluate(COUNT_POINTER)
    tab_to(pg.page, "[data-lessons-menu] summary")
    pg.page.keyboard.press("Enter")
    tab_to(pg.page, "[data-lesson-link=l1-l2]")
    pg.page.keyboard.press("Enter")
    pg.page.wait_for_function(
        "() => document.querySelector('[data-lesson]').dataset.lessonId === 'l1-l2'"
    )
    pg.page.wait_for_selector("[data-lesson-checks] li")
    no_pointer_events(pg)


def test_the_skip_link_is_the_first_stop_and_lands_on_the_output(pg):
    pg.open()
    pg.page.evaluate(COUNT_POINTER)
    pg.page.keyboard.press("Tab")
    link = pg.page.locator(".skip-link")
    assert pg.page.evaluate(FOCUSED_IS, ".skip-link")
    box = link.bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 20  # on screen when focused
    pg.page.keyboard.press("Enter")
    pg.page.wait_for_function(FOCUSED_IS, arg="#output")
    # The next Tab goes on inside the output column.
    pg.page.keyboard.press("Tab")
    assert pg.page.evaluate("() => !!document.activeElement.closest('#output')")
    no_pointer_events(pg)


# The focus ring of the focused element: its style, width and colour, and the colour behind it.
RING = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    let back = el.parentElement;
    let bg = 'rgba(0, 0, 0, 0)';
    while (back) {
        bg = getComputedStyle(back).backgroundColor;
        if (!bg.startsWith('rgba(0, 0, 0, 0)') && !bg.endsWith(', 0)')) break;
        back = back.parentElement;
    }
    return { what: el.outerHTML.slice(0, 80), svg: el instanceof SVGElement,
             style: style.outlineStyle, width: parseFloat(style.outlineWidth),
             color: style.outlineColor, behind: back ? bg : 'rgb(255, 255, 255)' };
}"""


def luminance(css: str) -> float:
    r, g, b = (int(float(v)) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_keyboard_stop_shows_a_focus_ring_that_contrasts(pg):
    pg.open()
    seen = 0
    for _ in range(60):
        pg.page.keyboard.press("Tab")
        ring = pg.page.evaluate(RING)
        if ring["svg"]:
            continue  # a link's ring is its stroke (checked below)
        seen += 1
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert contrast(ring["color"], ring["behind"]) >= 3, ring
    assert seen > 40
    tab_to(pg.page, '[data-link="0:0:0"]')
    stroke = pg.page.evaluate("() => getComputedStyle(document.activeElement).stroke")
    assert contrast(stroke, "rgb(255, 255, 255)") >= 3, stroke


def test_a_student_joins_and_follows_a_room_with_the_keyboard_only(new_page, room_server):
    room = room_server.new_room()
    teacher = new_page(room_server.base)
    teacher.page.goto(room["control_url"])
    teacher.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'instructor'"
    )
    pupil = new_page(room_server.base)
    pupil.page.goto(f"{room_server.base}/room/{room['code']}")
    pupil.page.evaluate(COUNT_POINTER)
    tab_to(pupil.page, "[data-name-input]")
    pupil.page.keyboard.type("Ada")
    pupil.page.keyboard.press("Enter")
    pupil.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'follower'"
    )
    # The instructor's change reaches the follower, who reads it from the keyboard.
    teacher.page.keyboard.press("s")
    pupil.page.wait_for_function(
        "() => document.querySelector('[data-readout=epoch]').textContent === '000,001'"
    )
    # The map's cursor works for a follower, but the run's points are the instructor's.
    tab_to(pupil.page, "[data-heatmap]")
    pupil.page.keyboard.press("ArrowLeft")
    pupil.page.keyboard.press("Enter")
    pupil.page.wait_for_function(
        "() => document.querySelector('[data-announcer]').textContent.includes('read-only')"
    )
    assert not [m for m in pupil.wire.sent if m["type"] == "add_points"]
    tab_to(pupil.page, "[data-action=fork]")  # Tab goes round to the room bar
    pupil.page.keyboard.press("Enter")
    pupil.page.wait_for_function(
        "() => document.querySelector('[data-mode-badge]').dataset.mode === 'fork'"
    )
    no_pointer_events(pupil)
