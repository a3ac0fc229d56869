"""Exports: the trained model as JSON, the map as PNG, the loss history as CSV."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def download(page, action):
    with page.expect_download() as info:
        page.click(f"[data-action={action}]")
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def train_epochs(pg, n):
    mark = pg.wire.mark()
    for _ in range(n):
        pg.page.click("[data-action=step]")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] == n)


def test_model_json_is_the_servers_exported_state(pg):
    pg.open()
    train_epochs(pg, 3)
    name, data = download(pg.page, "export_model")
    assert name.endswith(".json")
    state = json.loads(data)
    assert state == pg.wire.messages("state")[-1]["state"]
    assert state["trainer"]["epoch"] == 3


def test_loss_csv_has_one_row_per_epoch(pg):
    pg.open()
    train_epochs(pg, 4)
    name, data = download(pg.page, "export_loss")
    assert name.endswith(".csv")
    lines = data.decode().splitlines()
    assert lines[0].startswith("epoch,train_loss,test_loss")
    history = pg.wire.messages("state")[-1]["state"]["trainer"]["history"]
    assert len(lines) - 1 == len(history["train_loss"])
    assert float(lines[-1].split(",")[1]) == pytest.approx(history["train_loss"][-1])


def test_map_png_is_an_image_of_the_map(pg):
    pg.open()
    name, data = download(pg.page, "export_png")
    assert name.endswith(".png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (400, 400)
