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
    mark = pg.wire.mark()
    name, data = download(pg.page, "export_model")
    assert name.endswith(".json")
    state = json.loads(data)
    assert state == pg.wire.message_after(mark, "state")["state"]
    assert state["trainer"]["epoch"] == 3


def loss_csv(pg) -> tuple[list[str], dict]:
    """The downloaded loss CSV's lines and the history of the state the server sent for it."""
    mark = pg.wire.mark()
    name, data = download(pg.page, "export_loss")
    assert name.endswith(".csv")
    return data.decode().splitlines(), pg.wire.message_after(mark, "state")["state"]["trainer"][
        "history"
    ]


def test_loss_csv_has_one_row_per_recorded_epoch(pg):
    pg.open()
    train_epochs(pg, 4)
    lines, history = loss_csv(pg)
    assert lines[0].startswith("epoch,train_loss,test_loss")
    assert len(lines) - 1 == len(history["train_loss"])
    assert [int(line.split(",")[0]) for line in lines[1:]] == history["epochs"] == [1, 2, 3, 4]
    assert float(lines[-1].split(",")[1]) == pytest.approx(history["train_loss"][-1])


def test_loss_csv_numbers_rows_by_the_engines_epochs_once_the_history_is_thinned(pg):
    pg.open("batch_size=30")
    mark = pg.wire.mark()
    # Past 2000 epochs the engine keeps every other epoch: 2500 epochs -> 2, 4, ..., 2500.
    for epochs in (1000, 1000, 500):
        pg.page.evaluate(f"() => window.playground.socket.send('step', {{epochs: {epochs}}})")
    pg.wire.frame_after(mark, lambda f: f.header["epoch"] == 2500)
    lines, history = loss_csv(pg)
    column = [int(line.split(",")[0]) for line in lines[1:]]
    assert column == history["epochs"]
    assert column[:3] == [2, 4, 6] and column[-1] == 2500 and len(column) == 1250
    row = column.index(1000)
    assert float(lines[1 + row].split(",")[1]) == pytest.approx(history["train_loss"][row])


def test_map_png_is_an_image_of_the_map(pg):
    pg.open()
    name, data = download(pg.page, "export_png")
    assert name.endswith(".png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    height = int.from_bytes(data[20:24], "big")
    assert (width, height) == (400, 400)
