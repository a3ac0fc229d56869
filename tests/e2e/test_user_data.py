"""Your data: click to add points of a chosen class, erase them, upload, download and clear."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def click_map_at(page, x1, x2):
    box = page.locator("[data-points]").bounding_box()
    page.mouse.click(
        box["x"] + (x1 + 6) / 12 * box["width"], box["y"] + (6 - x2) / 12 * box["height"]
    )


def drawn_at(page, x1, x2):
    """Whether the points overlay has paint at data coordinates (x1, x2)."""
    return page.evaluate(
        """([x1, x2]) => {
            const c = document.querySelector('[data-points]');
            const x = Math.round((x1 + 6) / 12 * c.width), y = Math.round((6 - x2) / 12 * c.height);
            return c.getContext('2d').getImageData(x, y, 1, 1).data[3] > 0;
        }""",
        [x1, x2],
    )


def near(points, x1, x2, tol=0.15):
    return [p for p in points if abs(p[0] - x1) < tol and abs(p[1] - x2) < tol]


def test_clicking_the_map_adds_points_of_the_chosen_class_and_erase_removes_them(pg):
    pg.open()
    mark = pg.wire.mark()
    pg.page.click("[data-action=clear_points]")
    pg.wire.message_after(mark, "dataset", lambda d: d["points"] == [])
    pg.page.click("[data-editor-mode=add]")
    pg.page.click("[data-point-class='0']")
    mark = pg.wire.mark()
    click_map_at(pg.page, -3, 3)
    data = pg.wire.message_after(mark, "dataset", lambda d: near(d["points"], -3, 3))
    assert [p[2] for p in near(data["points"], -3, 3)] == [0]
    pg.page.click("[data-point-class='1']")
    mark = pg.wire.mark()
    click_map_at(pg.page, 2, -4)
    data = pg.wire.message_after(mark, "dataset", lambda d: near(d["points"], 2, -4))
    assert [p[2] for p in near(data["points"], 2, -4)] == [1]
    assert pg.wire.last_config()["dataset"] == "custom"
    pg.page.wait_for_function("() => window.playground.page.dataset.points.length === 2")
    pg.page.evaluate("() => new Promise(requestAnimationFrame)")
    assert drawn_at(pg.page, -3, 3) and drawn_at(pg.page, 2, -4)
    assert not drawn_at(pg.page, 3, 3)
    pg.screenshot("user-points")

    mark = pg.wire.mark()
    pg.page.keyboard.down("Shift")
    click_map_at(pg.page, -3, 3)
    pg.page.keyboard.up("Shift")
    data = pg.wire.message_after(mark, "dataset", lambda d: not near(d["points"], -3, 3))
    assert near(data["points"], 2, -4)


def test_csv_upload_replaces_the_data_and_download_gives_it_back(pg, tmp_path):
    pg.open()
    rows = [(x / 2, (-1) ** x * 2.0, x % 2) for x in range(-8, 9)]
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n" + "\n".join(f"{a},{b},{c}" for a, b, c in rows) + "\n")
    mark = pg.wire.mark()
    pg.page.set_input_files("[data-csv-upload]", str(path))
    data = pg.wire.message_after(mark, "dataset", lambda d: len(d["points"]) == len(rows))
    got = sorted((p[0], p[1], p[2]) for p in data["points"])
    assert got == sorted(rows)
    pg.page.wait_for_function(f"() => window.playground.page.dataset.points.length === {len(rows)}")
    with pg.page.expect_download() as info:
        pg.page.click("[data-action=download_csv]")
    text = Path(info.value.path()).read_text().splitlines()
    assert text[0] == "x1,x2,label"
    assert len(text) == len(rows) + 1


def test_bad_csv_is_reported_next_to_the_data_controls(pg, tmp_path):
    pg.open()
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,oops\n")
    mark = pg.wire.mark()
    pg.page.set_input_files("[data-csv-upload]", str(path))
    error = pg.wire.message_after(mark, "error")
    assert "2" in error["message"] or "row" in error["message"]
    pg.page.wait_for_function(
        "() => [...document.querySelectorAll('.field-error, [data-toast]')]"
        ".some(e => e.textContent.length > 0)"
    )
