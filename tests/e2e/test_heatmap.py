"""HeatMap's points overlay: its bitmap is square whatever size the canvas element started at."""

from __future__ import annotations

import urllib.request

import pytest

pytestmark = pytest.mark.browser

# A 300x300 box around a canvas left at the default 300x150 bitmap: the width already matches,
# so only a height check makes the overlay resize. One red point at (x1, x2) = (0, 0).
DRAW_ORIGIN = """async () => {
  const { HeatMap } = await import("/static/js/heatmap.js");
  const box = document.createElement("div");
  box.style.cssText = "position: fixed; left: 0; top: 0; width: 300px; height: 300px; z-index: 99";
  const map = document.createElement("canvas");
  const overlay = document.createElement("canvas");
  overlay.style.cssText = "width: 300px; height: 300px; display: block";
  box.append(overlay);
  document.body.append(box);
  const before = [overlay.width, overlay.height];
  new HeatMap(map, overlay).updatePoints([[0, 0, 1, 0]], () => "rgb(255, 0, 0)", false);
  const ctx = overlay.getContext("2d");
  const at = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data);
  const out = {
    before,
    after: [overlay.width, overlay.height],
    centre: at(150, 150),
    above: at(150, 140),
    squashedCentre: at(150, 75),
  };
  box.remove();
  return out;
}"""


def test_point_at_origin_is_drawn_at_the_centre_of_a_default_sized_canvas(pg):
    pg.open()
    assert pg.page.evaluate("window.devicePixelRatio") == 1
    drawn = pg.page.evaluate(DRAW_ORIGIN)
    assert drawn["before"] == [300, 150]
    assert drawn["after"] == [300, 300]
    red, green, blue, alpha = drawn["centre"]
    assert (red, green, blue, alpha) == (255, 0, 0, 255)
    # Radius 3: nothing 10 px above the centre, nor where a squashed bitmap would put it.
    assert drawn["above"][3] == 0
    assert drawn["squashedCentre"][3] == 0


def test_page_points_overlay_bitmap_matches_its_box(pg):
    pg.open()
    pg.page.wait_for_function(
        "() => { const c = document.querySelector('[data-points]');"
        " return c.width === c.clientWidth && c.height === c.clientHeight; }"
    )
    width, height = pg.page.evaluate(
        "() => { const c = document.querySelector('[data-points]'); return [c.width, c.height]; }"
    )
    assert width == height > 0


def test_room_page_overlay_is_square_without_a_sized_canvas_in_the_markup(new_page, room_server):
    room = room_server.new_room()
    teacher = new_page(room_server.base)
    with urllib.request.urlopen(room["join_url"]) as response:
        markup = response.read().decode()
    assert '<canvas class="points" data-points aria-hidden="true">' in markup  # 300x150 at first
    teacher.page.goto(room["control_url"])
    teacher.page.wait_for_function(
        "() => { const c = document.querySelector('[data-points]');"
        " return c.clientWidth > 0 && c.width === c.clientWidth && c.height === c.width; }"
    )
