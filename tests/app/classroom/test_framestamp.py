"""Stamping a frame's header keeps every array readable and aligned."""

from __future__ import annotations

import numpy as np

from app import frames
from app.classroom.framestamp import ZFRAME, compress, expand, stamp
from app.mailbox import frame_key


def make_frame(with_inputs: bool) -> bytes:
    arrays = [
        ("output", frames.quantise(np.linspace(-1, 1, 25).reshape(5, 5), -1.0, 1.0)),
        ("weights", np.arange(7, dtype=np.float32)),
    ]
    if with_inputs:
        arrays.append(("inputs", frames.quantise(np.zeros((2, 3, 3)), -1.0, 1.0)))
    return frames.encode({"type": "frame", "seq": 3, "epoch": 9}, arrays)


def test_stamped_frame_decodes_to_the_same_arrays_with_the_new_field():
    frame = make_frame(with_inputs=False)
    header0, arrays0 = frames.decode(frame)
    for sent_at in (1.0, 1795248518832.25, 12345678901234.5):  # header lengths vary
        header, arrays = frames.decode(stamp(frame, sent_at=sent_at))
        assert header["sent_at"] == sent_at
        assert {k: v for k, v in header.items() if k != "sent_at"} == header0
        for name, values in arrays0.items():
            np.testing.assert_array_equal(arrays[name], values)


def test_the_payload_stays_four_byte_aligned():
    frame = make_frame(with_inputs=True)
    for n in range(8):
        out = stamp(frame, pad="x" * n)
        length = int.from_bytes(out[:4], "little")
        assert (4 + length) % 4 == 0


def test_the_frame_with_the_once_per_rebuild_inputs_has_its_own_mailbox_key():
    assert frame_key(make_frame(with_inputs=True)) == "frame_inputs"
    assert frame_key(make_frame(with_inputs=False)) == "frame"
    thumbnails = ("neurons", frames.quantise(np.zeros((2, 3, 3)), -1.0, 1.0))
    with_thumbnails = frames.encode({"type": "frame"}, [thumbnails])
    assert frame_key(with_thumbnails) == "frame_neurons"  # never dropped by one without


def test_a_zframe_is_a_valid_frame_that_expands_to_the_exact_original():
    frame = stamp(make_frame(with_inputs=True), sent_at=12.5)
    packed = compress(frame)
    header, arrays = frames.decode(packed)  # any frame reader can read the wrapper
    assert header["type"] == ZFRAME and header["size"] == len(frame)
    assert (4 + int.from_bytes(packed[:4], "little")) % 4 == 0
    assert expand(packed) == frame
    assert expand(frame) == frame  # an ordinary frame passes through


def test_compression_pays_on_real_maps():
    smooth = np.add.outer(np.linspace(-1, 1, 100), np.linspace(-1, 1, 100)) / 2
    frame = frames.encode({"type": "frame"}, [("output", frames.quantise(smooth, -1.0, 1.0, 32))])
    assert len(compress(frame)) < len(frame) / 3
