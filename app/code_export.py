"""`export` with a format: the session's network as code, answered by a `code` message.

Writing a script costs up to ~100 ms for the largest network a server allows (and the
first ONNX export imports `onnx`, about a second), so the text is written in a worker
thread from a snapshot taken on the event loop, and each session may ask for at most
`CODE_EXPORT_BURST` exports in any `CODE_EXPORT_WINDOW` seconds.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from app import budget, protocol
from app.protocol import ProtocolError
from engine.export import EXPORT_FORMATS, network_spec, render_code

if TYPE_CHECKING:
    from app.session import Session

CODE_EXPORT_BURST = 3
CODE_EXPORT_WINDOW = 6.0  # seconds


def requested_format(data: Any) -> str | None:
    """The `format` of an export message, or None for a state export (no format)."""
    if not isinstance(data, dict) or data.get("format") is None:
        return None
    fmt = data["format"]
    if fmt not in EXPORT_FORMATS:
        allowed = ", ".join(EXPORT_FORMATS)
        raise ProtocolError(
            "invalid_field", f"format must be one of {allowed}, got {fmt!r}", "format"
        )
    return fmt


def _charge(session: Session) -> None:
    """Count one export against the session's allowance, or refuse it."""
    now = session.clock()
    recent = session.code_exports
    if len(recent) == CODE_EXPORT_BURST and now - recent[0] < CODE_EXPORT_WINDOW:
        raise ProtocolError(
            "rate_limited",
            f"at most {CODE_EXPORT_BURST} code exports in {CODE_EXPORT_WINDOW:g} seconds; "
            "try again in a moment",
        )
    recent.append(now)


async def code_message(session: Session, fmt: str) -> dict[str, Any]:
    """The `code` message: format, filename, the text (or base64 bytes) and the data CSV."""
    _charge(session)
    spec = network_spec(session.trainer)  # on the loop: training cannot change it midway
    content = await budget.in_thread(session.cpu, render_code, spec, fmt)
    chosen = EXPORT_FORMATS[fmt]
    data: dict[str, Any] = {"format": fmt, "filename": chosen.filename}
    if isinstance(content, bytes):
        data["base64"] = base64.b64encode(content).decode("ascii")
    else:
        data["text"] = content
    if chosen.with_data:
        data["data"] = {"filename": spec.data_filename, "text": spec.csv}
    return protocol.text("code", **data)
