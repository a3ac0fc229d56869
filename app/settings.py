"""Server settings: every limit and default in one dataclass, read from PLAYGROUND_* variables."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from app.framing import frame_sources

ENV_PREFIX = "PLAYGROUND_"

_PACKAGE_DIR = Path(__file__).resolve().parent

# Bounds of the server's own config fields (app.options publishes them).
MAX_EPOCHS_PER_FRAME = 1000
MAX_FPS = 60
THUMB_SIZES = (10, 20, 25, 50)
GRID_SIZES = (100, 200)  # each a multiple of every thumbnail size


def asset_dir(name: str) -> Path:
    """Where `static` or `templates` lives: inside the package (wheel), else the source tree."""
    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name


@dataclass(frozen=True)
class Settings:
    """One server process's configuration; every field has a PLAYGROUND_<NAME> variable."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"

    # Limits (the server narrows the engine's bounds with these).
    max_hidden_layers: int = 8
    max_neurons: int = 16
    max_points: int = 2000
    max_message_bytes: int = 256 * 1024
    messages_per_second: float = 60.0
    message_burst: int = 120
    max_errors: int = 30  # error budget; refills one per second, closes TOO_MANY_ERRORS when spent
    max_sessions: int = 1000
    grace_seconds: float = 120.0
    max_pending_texts: int = 256  # unsent text replies before a client counts as not reading

    # Per client address (a lecture hall behind one NAT is one address): sessions held at
    # once, and new sockets per minute after a burst of `connection_burst`.
    max_sessions_per_address: int = 300
    connections_per_minute: int = 120
    connection_burst: int = 250
    # When sessions reach 90% of max_sessions, detached ones are freed after this instead
    # of grace_seconds.
    reclaim_seconds: float = 10.0
    # Estimated memory of all sessions (by configuration size, app.budget); a configure
    # or restore that would pass it is refused with `over_budget`.
    memory_budget_mb: float = 1024.0

    # HTTP: request bodies past these are refused with 413 while they stream in.
    max_body_bytes: int = 64 * 1024
    max_share_bytes: int = 4 * 1024 * 1024
    # Origins (besides the server's own) allowed to send state-changing requests and open
    # websockets, comma separated, e.g. "https://lms.example.edu".
    allowed_origins: str = ""
    # Proxy addresses whose X-Forwarded-For/-Proto are believed, comma separated ("*": any).
    # Empty: the socket's address is the client's.
    trusted_proxies: str = ""

    # Defaults of the server-side config fields.
    fps: int = 30
    epochs_per_frame: int = 1
    grid_size: int = 100
    thumb_size: int = 20
    # Codes per map value on the wire (2-256). 32 matches the reference's 31-shade colour
    # scale and keeps the 6x8 network's frame under 16 KB deflated; 256 is smoother.
    map_levels: int = 32

    # Pacing: how long one session may hold the event loop before the scheduler moves on.
    slice_ms: float = 4.0
    # A session whose frames take longer than this has them built in a thread, off the
    # event loop (0: never). Off by default: on a loaded 2-core machine the thread's share
    # of the GIL cost the other sessions more frames than it saved (python -m app.abuse).
    frame_thread_ms: float = 0.0
    # Playing sessions whose networks share a shape train together, one set of NumPy calls
    # for the whole cohort (engine.cohort, app.cohorts); 0 trains every session alone (A/B).
    cohorts: bool = True

    # Which pages may embed ours in a frame (CSP frame-ancestors; see docs/classroom.md):
    # 'self', 'none', or origins such as https://course.example.org, space-separated.
    frame_ancestors: str = "'self'"

    static_dir: Path = field(default_factory=lambda: asset_dir("static"))
    templates_dir: Path = field(default_factory=lambda: asset_dir("templates"))

    def __post_init__(self) -> None:
        if self.memory_budget_mb <= 0:
            raise ValueError(f"memory_budget_mb must be above 0, got {self.memory_budget_mb}")
        if not 2 <= self.map_levels <= 256:
            raise ValueError(f"map_levels must be from 2 to 256, got {self.map_levels}")
        for name in (
            "workers",
            "max_sessions",
            "max_message_bytes",
            "max_points",
            "max_sessions_per_address",
            "connections_per_minute",
            "connection_burst",
            "max_body_bytes",
            "max_share_bytes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 1 <= self.fps <= MAX_FPS:
            raise ValueError(f"fps must be from 1 to {MAX_FPS}, got {self.fps}")
        if not 1 <= self.epochs_per_frame <= MAX_EPOCHS_PER_FRAME:
            raise ValueError(
                f"epochs_per_frame must be from 1 to {MAX_EPOCHS_PER_FRAME}, "
                f"got {self.epochs_per_frame}"
            )
        if self.thumb_size not in THUMB_SIZES:
            raise ValueError(f"thumb_size must be one of {THUMB_SIZES}, got {self.thumb_size}")
        if self.grid_size not in GRID_SIZES:
            raise ValueError(f"grid_size must be one of {GRID_SIZES}, got {self.grid_size}")
        frame_sources(self.frame_ancestors)  # a ValueError naming PLAYGROUND_FRAME_ANCESTORS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overridden by PLAYGROUND_* variables, overridden by keyword arguments."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = parse_value(f.name, raw)
        values.update(overrides)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        """The PLAYGROUND_* variables that reproduce these settings in another process."""
        return {ENV_PREFIX + k.upper(): str(v) for k, v in dataclasses.asdict(self).items()}

    def limits(self) -> dict[str, Any]:
        """The limits a client is told about in `hello` and /api/options."""
        return {
            "max_hidden_layers": self.max_hidden_layers,
            "max_neurons": self.max_neurons,
            "max_points": self.max_points,
            "max_message_bytes": self.max_message_bytes,
            "messages_per_second": self.messages_per_second,
            "max_sessions": self.max_sessions,
            "grace_seconds": self.grace_seconds,
            "max_sessions_per_address": self.max_sessions_per_address,
            "memory_budget_mb": self.memory_budget_mb,
        }

    def origins(self) -> frozenset[str]:
        """The configured extra origins, normalised (no trailing slash, lower case)."""
        return frozenset(
            o.strip().rstrip("/").lower() for o in self.allowed_origins.split(",") if o.strip()
        )


_TYPES: dict[str, type] = {
    f.name: {"int": int, "float": float, "str": str, "Path": Path, "bool": bool}[str(f.type)]
    for f in fields(Settings)
}
BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
BOOLEANS.update({"0": False, "false": False, "no": False, "off": False})


def parse_value(name: str, raw: str) -> Any:
    """Convert one textual setting to its field's type; ValueError names the variable."""
    kind = _TYPES[name]
    if kind is bool:
        if raw.strip().lower() not in BOOLEANS:
            raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not one of 1/0, true/false")
        return BOOLEANS[raw.strip().lower()]
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(
            f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}"
        ) from None
