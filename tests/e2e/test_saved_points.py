"""Your own points survive a reload; a reload that cannot bring them back says so."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

N = 1800


def upload_points(pg, tmp_path):
    rng = np.random.default_rng(7)
    x = rng.uniform(-5, 5, size=(N, 2)).round(3)
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)
    path = tmp_path / "mine.csv"
    rows = [f"{a},{b},{y}" for (a, b), y in zip(x.tolist(), labels.tolist(), strict=True)]
    path.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    mark = pg.wire.mark()
    pg.page.set_input_files("[data-csv-upload]", str(path))
    return pg.wire.message_after(mark, "dataset", lambda d: len(d["points"]) == N)


def test_uploaded_points_come_back_after_a_reload(pg, tmp_path):
    pg.open()
    before = upload_points(pg, tmp_path)
    expect(pg.page.locator("[data-readout=test_loss]")).not_to_have_text("–")
    pg.page.wait_for_function("() => location.hash.includes('dataset=custom')")
    mark = pg.wire.mark()
    pg.page.reload()
    pg.wire.message_after(mark, "hello")
    after = pg.wire.message_after(mark, "dataset", lambda d: len(d["points"]) == N)
    assert sorted(map(tuple, after["points"])) == sorted(map(tuple, before["points"]))
    pg.page.wait_for_function(f"() => window.playground.page.dataset?.points.length === {N}")
    expect(pg.page.locator("[data-readout=test_loss]")).not_to_have_text("–")
    expect(pg.page.locator("[data-points-note]")).to_be_hidden()


def test_a_reload_without_kept_points_says_so(pg, tmp_path):
    pg.open()
    upload_points(pg, tmp_path)
    pg.page.wait_for_function("() => location.hash.includes('dataset=custom')")
    pg.page.evaluate("() => localStorage.clear()")
    pg.page.reload()
    note = pg.page.locator("[data-points-note]")
    expect(note).to_be_visible()
    expect(note).to_contain_text("could not be brought back")
