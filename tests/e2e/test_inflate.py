"""static/js/inflate.js, run in the browser, against Python's zlib: every kind of deflate block
(stored, fixed and dynamic Huffman codes, long runs), and streams it must refuse."""

from __future__ import annotations

import random
import zlib

import pytest

pytestmark = pytest.mark.browser

# Expands each stream (bytes as lists) and returns the bytes, or the error's message.
INFLATE = """async (streams) => {
    const m = await import('/static/js/inflate.js');
    return streams.map(([bytes, size]) => {
        try {
            return Array.from(m.inflate(new Uint8Array(bytes), size ?? undefined));
        } catch (error) {
            return error.message;
        }
    });
}"""


def compressed(data: bytes, level: int = 6, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    return packer.compress(data) + packer.flush()


def samples() -> dict[str, bytes]:
    rng = random.Random(7)
    text = b"".join(b"epoch %d loss %.4f; " % (i, rng.random()) for i in range(3000))
    noise = bytes(rng.randrange(256) for _ in range(70_000))  # over one stored block (64 KB)
    runs = b"a" * 1000 + b"ab" * 700 + bytes(range(256)) * 40  # overlapping copies
    return {"empty": b"", "text": text, "noise": noise, "runs": runs}


def test_inflate_expands_what_zlib_compressed_in_every_block_kind(pg):
    pg.open()
    cases = []
    for name, data in samples().items():
        cases += [
            (f"{name} stored", data, compressed(data, 0)),
            (f"{name} fast", data, compressed(data, 1)),
            (f"{name} best", data, compressed(data, 9)),
            (f"{name} fixed codes", data, compressed(data, 6, zlib.Z_FIXED)),
            (f"{name} Huffman only", data, compressed(data, 6, zlib.Z_HUFFMAN_ONLY)),
            (f"{name} runs", data, compressed(data, 6, zlib.Z_RLE)),
        ]
    # Sized exactly (as a zframe says) and left to grow its output from a guess.
    streams = [[list(z), len(data)] for _, data, z in cases]
    streams += [[list(z), None] for _, data, z in cases]
    results = pg.page.evaluate(INFLATE, streams)
    for (name, data, _), result in zip(cases + cases, results, strict=True):
        assert result == list(data), name


def test_inflate_refuses_a_stream_cut_short_or_corrupted(pg):
    pg.open()
    good = compressed(samples()["text"], 9)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    bad_sum = good[:-1] + bytes([good[-1] ^ 1])
    streams = [
        [list(good[: len(good) // 2]), None],
        [list(bad_sum), None],
        [list(b"\x00" * 8), None],
    ]
    cut, checksum, header = pg.page.evaluate(INFLATE, streams)
    assert cut == "zlib stream ends too early"
    assert checksum == "zlib stream fails its checksum"
    assert header.startswith("not a zlib stream")
    # A bit flipped in the middle: refused, whichever check catches it first.
    (result,) = pg.page.evaluate(INFLATE, [[list(flipped), None]])
    assert isinstance(result, str) and result.startswith("zlib stream")
