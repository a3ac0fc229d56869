"""Log lines: one per event, with time, level and logger, as text or JSON (`log_format`).

uvicorn takes `config(settings)` as its log configuration, so its error and access logs
and the app's own loggers write the same format, in every worker process. A traceback
stays on its event's line (escaped in text, a field in JSON). Session ids in request
paths are redacted before any of this (app.guard.RedactSessionIds).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

ACCESS_LOGGER = "uvicorn.access"
TRACE = 5  # uvicorn's level below debug


def timestamp(record: logging.LogRecord) -> str:
    """ISO 8601 in UTC with milliseconds: 2026-01-31T09:15:02.123Z."""
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _traceback(formatter: logging.Formatter, record: logging.LogRecord) -> str:
    return formatter.formatException(record.exc_info) if record.exc_info else ""


class TextFormatter(logging.Formatter):
    """`time LEVEL logger message`, a traceback after it on the same line."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{timestamp(record)} {record.levelname} {record.name} {record.getMessage()}"
        trace = _traceback(self, record)
        if trace:
            line += " | " + trace
        return line.replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, pid (and for an access line:
    client, method, path, status; for an error: its traceback as `exception`)."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        args = record.args
        if record.name == ACCESS_LOGGER and isinstance(args, tuple) and len(args) == 5:
            client, method, path, _version, status = args
            event.update(client=client, method=method, path=path, status=status)
        trace = _traceback(self, record)
        if trace:
            event["exception"] = trace
        return json.dumps(event, default=str, ensure_ascii=False)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}


def config(log_format: str, log_level: str) -> dict[str, Any]:
    """A logging.config.dictConfig for uvicorn.run(log_config=...)."""
    level = TRACE if log_level == "trace" else log_level.upper()
    formatter = FORMATTERS[log_format]
    handler = {"class": "logging.StreamHandler", "formatter": "line", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"line": handler},
        "loggers": {
            "uvicorn": {"handlers": ["line"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            ACCESS_LOGGER: {"handlers": ["line"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["line"], "level": level},
    }
