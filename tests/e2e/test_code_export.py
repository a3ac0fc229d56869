"""The page's "Export as code" menu downloads what the server's `code` message carries."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from engine.export import EXPORT_FORMATS

pytestmark = pytest.mark.browser


def open_menu(pg):
    pg.open()
    pg.page.click("[data-code-export] summary")


def download_format(pg, name):
    """Click one format; returns (suggested filename, bytes, the server's code message)."""
    mark = pg.wire.mark()
    with pg.page.expect_download() as info:
        pg.page.click(f"[data-code-format={name}]")
    code = pg.wire.message_after(mark, "code")
    return info.value.suggested_filename, Path(info.value.path()).read_bytes(), code


def test_menu_lists_every_format_the_server_writes(pg):
    open_menu(pg)
    buttons = pg.page.locator("[data-code-formats] button")
    assert buttons.evaluate_all("bs => bs.map(b => b.dataset.codeFormat)") == list(EXPORT_FORMATS)
    assert buttons.all_inner_texts() == [f.label for f in EXPORT_FORMATS.values()]


def test_pytorch_script_and_its_data_download_as_the_server_sent_them(pg):
    open_menu(pg)
    pg.page.click("[data-action=step]")
    name, content, code = download_format(pg, "pytorch")
    assert (name, code["format"]) == ("playground_pytorch.py", "pytorch")
    assert content.decode() == code["text"] and "import torch" in code["text"]
    link = pg.page.locator("[data-code-status] a[data-code-data]")
    with pg.page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == "playground-data.csv"
    assert Path(info.value.path()).read_text() == code["data"]["text"]


def test_onnx_downloads_the_models_bytes(pg):
    open_menu(pg)
    name, content, code = download_format(pg, "onnx")
    assert name == "playground.onnx"
    assert content == base64.b64decode(code["base64"])
    assert pg.page.locator("[data-code-status] a").count() == 0  # no data file for a model
