"""Phones and tablets (issue 16): every page and mode fits the screen's width with the run
first, and everything works with touch alone (Playwright's tap: touch events, no mouse)."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.bench_page import PHONE
from tests.app.classroom.server import Server
from tests.e2e.test_display_preferences import WATCH_DASHES
from tests.e2e.test_draw_pacing import DRAW_COST, FLOOR_COST, views
from tests.e2e.test_modes import DRAWN, MODE_IS

pytestmark = pytest.mark.browser

TABLET = {**PHONE, "device_scale_factor": 2}
DEVICES = {
    "phone-390x844": PHONE,
    "phone-360x740": {**PHONE, "viewport": {"width": 360, "height": 740}},
    "phone-landscape-844x390": {**PHONE, "viewport": {"width": 844, "height": 390}},
    "tablet-768x1024": {**TABLET, "viewport": {"width": 768, "height": 1024}},
    "tablet-1024x768": {**TABLET, "viewport": {"width": 1024, "height": 768}},
}
FITS = "() => [document.scrollingElement.scrollWidth, window.innerWidth, window.innerHeight]"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("small-screens") / "data").start()
    try:
        yield server
    finally:
        server.stop()


def assert_fits(pg, where: str, width: int) -> None:
    scroll_width, inner_width, _ = pg.page.evaluate(FITS)
    assert inner_width == width, f"{where}: the layout viewport is {inner_width} px wide"
    assert scroll_width <= width, f"{where}: {scroll_width} px wide on a {width} px screen"


def assert_run_first(pg, where: str, width: int, height: int) -> None:
    """The play button and the whole output map are on the first screen, unscrolled."""
    pg.page.evaluate("() => window.scrollTo(0, 0)")
    for selector in ("[data-action=play]", "[data-map]"):
        box = pg.page.locator(selector).bounding_box()
        assert box is not None, f"{where}: {selector} not shown"
        inside = box["x"] >= 0 and box["y"] >= 0
        inside = inside and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
        assert inside, f"{where}: {selector} at {box} is not on the first {width}x{height} screen"


def in_mode(pg, name: str) -> None:
    pg.page.wait_for_function(MODE_IS.format(name))
    pg.page.wait_for_function(DRAWN)


@pytest.mark.parametrize("device", DEVICES.values(), ids=DEVICES.keys())
def test_every_page_and_mode_fits_the_screen_with_the_run_first(new_page, server, device):
    width, height = device["viewport"]["width"], device["viewport"]["height"]

    def check(pg, where: str, run: bool = True) -> None:
        assert_fits(pg, where, width)
        if run:
            assert_run_first(pg, where, width, height)

    solo = new_page(server.base, **device).open()
    check(solo, "solo")
    solo.page.tap("[data-lessons-menu] summary")
    lessons = solo.page.locator("[data-lessons-list]")
    expect(lessons).to_be_visible()
    check(solo, "lessons menu open", run=False)
    box = lessons.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"lessons menu at {box}"
    solo.page.tap("[data-lessons-menu] summary")
    solo.page.tap("[data-action=share]")
    solo.page.wait_for_function("() => document.querySelector('[data-share-url]').value !== ''")
    check(solo, "solo with the share box open", run=False)
    snapshot = new_page(server.base, **device)
    snapshot.page.goto(solo.page.input_value("[data-share-url]"))
    in_mode(snapshot, "snapshot")
    check(snapshot, "snapshot")

    room = server.new_room()
    teacher = new_page(server.base, **device)
    teacher.page.goto(room["control_url"])
    in_mode(teacher, "instructor")
    check(teacher, "instructor")

    pupil = new_page(server.base, **device)
    pupil.page.goto(f"{server.base}/room/{room['code']}")
    pupil.page.wait_for_selector("[data-name-input]")
    check(pupil, "join form", run=False)
    pupil.page.fill("[data-name-input]", "Ada")
    pupil.page.tap("[data-action=join]")
    in_mode(pupil, "follower")
    check(pupil, "follower")
    pupil.page.tap("[data-action=fork]")
    in_mode(pupil, "fork")
    check(pupil, "fork")

    landing = new_page(server.base, **device)
    landing.page.goto(f"{server.base}/classroom")
    landing.page.wait_for_selector("[data-landing]:not([hidden])")
    check(landing, "classroom landing", run=False)
    solo.screenshot(f"small-screen-{width}x{height}")


def test_a_tap_enlarges_a_neuron_and_a_second_tap_or_a_tap_elsewhere_gives_it_back(
    new_page, server
):
    phone = new_page(server.base, **PHONE).open()
    node = '[data-layer="1"][data-neuron="0"]'

    def selected_after(mark, node):
        phone.wire.wait(
            f"select_node {node}",
            lambda: any(
                m["type"] == "select_node" and m["data"] == node for m in phone.wire.sent[mark[2] :]
            ),
        )

    for back in ("the same neuron", "the page"):
        mark = phone.wire.mark()
        phone.page.tap(node)
        selected_after(mark, {"layer": 1, "neuron": 0})
        phone.wire.frame_after(mark, lambda f: f.has("selected"))
        mark = phone.wire.mark()
        phone.page.tap(node if back == "the same neuron" else "[data-region=output] h2")
        selected_after(mark, None)


def test_a_tap_on_a_link_opens_a_finger_sized_weight_editor(new_page, server):
    phone = new_page(server.base, **PHONE).open("hidden=4,2")
    phone.page.locator('[data-link="2:1:0"]').tap()
    number = phone.page.locator("[data-hovercard] input[type=number]")
    slider = phone.page.locator("[data-hovercard] input[type=range]")
    expect(number).to_be_visible()
    expect(slider).to_be_visible()
    assert_fits(phone, "weight editor open", 390)
    for control in (number, slider):
        box = control.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["y"] + box["height"] <= 844, box
    index = (2 + 1) * 4 + (4 + 1) * 2 + 1  # layer 2's W[1, 0] in [2, 4, 2, 1]
    mark = phone.wire.mark()
    box = slider.bounding_box()
    # A tap at the slider's far right end sets its maximum, 5 (the track ends a little inside).
    phone.page.touchscreen.tap(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    phone.wire.frame_after(mark, lambda f: f.array("weights")[index] == 5)
    expect(number).to_have_value("5")
    mark = phone.wire.mark()
    number.fill("-0.75")
    phone.wire.frame_after(mark, lambda f: f.array("weights")[index] == -0.75)
    phone.page.tap("[data-region=output] h2")
    expect(number).to_be_hidden()


def test_taps_open_the_data_panel_and_add_and_erase_points_on_the_map(new_page, server):
    phone = new_page(server.base, **PHONE).open("dataset=custom")
    swatch = phone.page.locator("[data-editor-mode=add]")
    expect(swatch).to_be_hidden()
    phone.page.tap("[data-action=toggle_data]")
    expect(swatch).to_be_visible()
    assert_fits(phone, "data panel open", 390)
    datasets = phone.wire.messages
    phone.wire.wait("the empty custom data", lambda: datasets("dataset")[-1]["points"] == [])
    points = 0

    def tap_map(fx: float, fy: float) -> None:
        # The map is above the data panel: back up to it, then tap it.
        canvas = phone.page.locator("[data-points]")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        phone.page.touchscreen.tap(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)

    phone.page.tap("[data-editor-mode=add]")
    mark = phone.wire.mark()
    tap_map(0.75, 0.25)
    added = phone.wire.message_after(mark, "dataset", lambda d: len(d["points"]) == points + 1)
    x1, x2 = added["points"][-1][:2]
    assert 1 < x1 < 5 and 1 < x2 < 5, (x1, x2)  # top right quarter of the [-6, 6] plane
    phone.page.tap("[data-editor-mode=erase]")
    mark = phone.wire.mark()
    tap_map(0.75, 0.25)
    phone.wire.message_after(mark, "dataset", lambda d: len(d["points"]) == points)


def test_zoom_buttons_enlarge_the_network_which_scrolls_inside_its_column(new_page, server):
    phone = new_page(server.base, **PHONE).open()
    node = phone.page.locator('[data-layer="1"][data-neuron="0"]')
    before = node.bounding_box()["width"]
    phone.page.tap("[data-action=zoom_in]")
    phone.page.tap("[data-action=zoom_in]")
    assert node.bounding_box()["width"] == pytest.approx(2 * before, rel=0.05)
    assert_fits(phone, "network zoomed twice", 390)
    column = phone.page.locator("[data-region=network]")
    assert column.evaluate("(e) => e.scrollWidth > e.clientWidth")
    phone.page.tap("[data-action=zoom_out]")
    assert node.bounding_box()["width"] == pytest.approx(1.5 * before, rel=0.05)


def phone_follower(new_page, server):
    """An instructor's page (a laptop) and a student following its room on a phone."""
    room = server.new_room()
    teacher = new_page(server.base)
    teacher.page.goto(room["control_url"])
    in_mode(teacher, "instructor")
    pupil = new_page(server.base, **PHONE)
    pupil.page.goto(f"{server.base}/room/{room['code']}")
    pupil.page.fill("[data-name-input]", "Ada")
    pupil.page.tap("[data-action=join]")
    in_mode(pupil, "follower")
    return teacher, pupil


def test_a_follower_on_a_phone_receives_frames_and_forks_with_one_tap(new_page, server):
    teacher, pupil = phone_follower(new_page, server)
    mark = pupil.wire.mark()
    teacher.page.click("[data-action=play]")
    first = pupil.wire.frame_after(mark, lambda f: f.header["epoch"] > 0)
    pupil.wire.frame_after(mark, lambda f: f.header["epoch"] >= first.header["epoch"] + 5)
    pupil.page.wait_for_function(
        "(e) => Number(document.querySelector('[data-readout=epoch]').textContent"
        ".replace(/,/g, '')) >= e",
        arg=first.header["epoch"] + 5,
    )
    since = len(pupil.wire.events)
    teacher.page.click("[data-action=play]")
    # The frame after the pause is the last one the room sends: the epoch the copy starts at.
    pupil.wire.frame_following("status", lambda d: d["state"] == "paused", since)
    pupil.page.tap("[data-action=fork]")
    in_mode(pupil, "fork")
    # The copy is the student's own: their step trains it (the instructor is paused).
    before = pupil.epoch()
    mark = pupil.wire.mark()
    pupil.page.tap("[data-action=step]")
    pupil.wire.frame_after(mark, lambda f: f.header["epoch"] == before + 1)
    assert not [m for m in pupil.wire.received if m["type"] == "error"]


def test_a_follower_that_draws_fewer_frames_asks_its_room_socket_and_sees_the_last(
    new_page, server
):
    teacher, pupil = phone_follower(new_page, server)
    pupil.page.evaluate(DRAW_COST, 2 * pupil.page.evaluate(FLOOR_COST))  # slower than the floor
    mark = pupil.wire.mark()
    teacher.page.click("[data-action=play]")
    # The room socket is asked, like a solo one, for the rate the phone draws at.
    floor = pupil.page.evaluate(
        "async () => (await import('/static/js/draw-loop.js')).MIN_DRAW_RATE"
    )
    asked = pupil.wire.wait("a view message", lambda: views(pupil.wire))
    assert asked == [{"max_fps": floor}]
    pupil.wire.frame_after(mark, lambda f: f.header["epoch"] > 0)
    mark = pupil.wire.mark()
    teacher.page.click("[data-action=play]")
    paused = pupil.wire.message_after(mark, "status", lambda d: d["state"] == "paused")
    last = pupil.wire.frame_after(mark, lambda f: f.header["state"] == "paused")
    assert last.header["epoch"] == paused["epoch"]
    pupil.page.wait_for_function(
        "(e) => Number(document.querySelector('[data-readout=epoch]').textContent"
        ".replace(/,/g, '')) === e",
        arg=paused["epoch"],
    )


# The first visit on a phone: the page, its scripts and styles, and the first frames.
FIRST_VISIT_BUDGET = 300_000  # bytes
FIRST_FRAMES = 10


def deflated_size(payload: bytes) -> int:
    """The bytes of one websocket message on the wire with permessage-deflate at the server's
    level 1, compressed on its own (RFC 7692: raw deflate, the 4-byte tail dropped) plus the
    longest frame header. The server keeps its window between messages, which only makes
    its messages smaller, so the sum is an upper bound of what Chromium received."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return len(body) - 4 + 10


def test_the_first_visit_on_a_phone_transfers_at_most_300_kb(new_page, server):
    phone = new_page(server.base, **PHONE)
    http: list = []
    messages: list[str | bytes] = []
    phone.page.on("requestfinished", lambda request: http.append(request))
    phone.page.on("websocket", lambda ws: ws.on("framereceived", lambda m: messages.append(m)))
    phone.open()
    phone.page.tap("[data-action=play]")
    phone.wire.wait(f"{FIRST_FRAMES} frames", lambda: len(phone.wire.frames) >= FIRST_FRAMES)
    phone.page.tap("[data-action=play]")
    frames = 0
    received = 0
    for message in messages:  # text messages and frames, up to the FIRST_FRAMES-th frame
        received += deflated_size(message.encode() if isinstance(message, str) else message)
        frames += isinstance(message, bytes)
        if frames >= FIRST_FRAMES:
            break
    sizes = [r.sizes() for r in http]
    transferred = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in sizes)
    assert len(http) >= 10, [r.url for r in http]  # the page, its modules and styles
    total = transferred + received
    report = (
        f"first visit: {transferred} bytes over HTTP ({len(http)} requests) + {received} bytes "
        f"of websocket messages (deflated one by one: an upper bound) = {total}"
    )
    print(report)  # pytest -s shows the figure
    assert total <= FIRST_VISIT_BUDGET, f"{report} > {FIRST_VISIT_BUDGET}"


NEURON = 'document.querySelector(\'[data-layer="1"][data-neuron="0"] canvas\')'
LINKS_DRAWN = "() => [...document.querySelectorAll('.link')].every((l) => l.hasAttribute('stroke'))"


def test_a_phone_draws_the_network_once_on_screen_and_keeps_its_dashes_still(new_page, server):
    phone = new_page(server.base, **PHONE).open()
    phone.page.evaluate(WATCH_DASHES)
    phone.train_to(30, press=phone.page.tap)
    phone.page.wait_for_function(
        "(e) => document.querySelector('[data-readout=epoch]').textContent.replace(',', '') == e",
        arg=str(phone.epoch()).zfill(6),
    )
    # The network starts below the first screen (the map comes first): not drawn yet.
    assert phone.page.evaluate(f"() => {NEURON}.getBoundingClientRect().top") > 844
    assert phone.page.evaluate(f"() => {NEURON}.width") == 1
    assert not phone.page.evaluate(LINKS_DRAWN)
    # Scrolled into view while paused, it shows the last frame.
    phone.page.locator("[data-network]").scroll_into_view_if_needed()
    phone.page.wait_for_function(f"() => {NEURON}.width > 1")
    phone.page.wait_for_function(LINKS_DRAWN)
    # The dashes never moved (each step would restyle every link), at epoch 30 and beyond.
    assert set(phone.page.evaluate("() => window.offsets")) <= {"0px", ""}


# A checksum of the map canvas's pixels.
MAP_SUM = """() => {
  const c = document.querySelector('[data-map]');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) | 0;
  return h;
}"""
# Resolves once the map's box is reported out of the viewport: by an observer of the test's
# own, called in the same task as the page's (observers are notified in the order made).
MAP_AWAY = """() => new Promise((resolve) => {
  const watch = new IntersectionObserver((entries) => {
    if (entries.every((e) => !e.isIntersecting)) { watch.disconnect(); resolve(true); }
  });
  watch.observe(document.querySelector('[data-heatmap]'));
})"""


def test_a_phone_paints_the_map_once_back_in_view_and_exports_the_newest(new_page, server):
    phone = new_page(server.base, **PHONE).open()
    shown_epoch = (
        "(e) => document.querySelector('[data-readout=epoch]').textContent.replace(',', '') == e"
    )
    phone.train_to(10, press=phone.page.tap)
    phone.page.wait_for_function(shown_epoch, arg=str(phone.epoch()).zfill(6))
    first = phone.page.evaluate(MAP_SUM)
    phone.page.locator("[data-network]").scroll_into_view_if_needed()
    assert phone.page.evaluate(MAP_AWAY)
    # Played and paused from script (a tap would scroll the button, and the map, into view).
    phone.train_to(
        40, press=lambda s: phone.page.evaluate("(s) => document.querySelector(s).click()", s)
    )
    phone.page.wait_for_function(shown_epoch, arg=str(phone.epoch()).zfill(6))
    assert phone.page.evaluate(MAP_SUM) == first, "the map was painted while out of view"

    def png() -> bytes:
        with phone.page.expect_download() as info:
            phone.page.tap("[data-action=export_png]")
        return Path(info.value.path()).read_bytes()

    away = png()  # the export paints the newest map first
    phone.page.locator("[data-map]").scroll_into_view_if_needed()
    phone.page.wait_for_function(f"(first) => ({MAP_SUM})() !== first", arg=first)
    assert png() == away
