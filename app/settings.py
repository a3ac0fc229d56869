"""Server settings: one typed model; each field has a PLAYGROUND_<NAME> variable and a flag.

Defaults, overridden by PLAYGROUND_* variables (pydantic-settings reads them), overridden by
keyword arguments (the command line's flags). `Settings.load` turns a bad value into one
`SettingsError` line that names the variable or flag and the values it allows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.framing import ALLOWED as FRAME_ALLOWED
from app.framing import frame_sources
from app.settings_text import Allowed, Choices, allowed_values, one_line

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


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/playground, else ~/.local/share/playground (never the working dir)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "playground"


def _one_of(choices: tuple[int, ...]) -> Any:
    def check(value: int) -> int:
        if value not in choices:
            raise ValueError("not one of the choices")
        return value

    return AfterValidator(check)


def _frame_sources(value: str) -> str:
    frame_sources(value)  # ValueError if any source is not one
    return value


Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(ge=0)]


class SettingsError(ValueError):
    """A setting's value is refused; the message is one line for the operator."""


class Settings(BaseSettings):
    """One server process's configuration (`playground --help` lists every field)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="forbid"
    )

    host: str = Field("127.0.0.1", description="address to listen on (0.0.0.0: every one)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port")
    workers: Count = Field(1, description="server processes")
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field(
        "info", description="uvicorn's log level"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="log lines: time level logger message, or one JSON object each"
    )

    # Limits (the server narrows the engine's bounds with these).
    max_hidden_layers: int = Field(8, ge=0, description="hidden layers per network")
    # 32 lets a lesson show width (universal approximation); a frame of 8 layers of 32 costs
    # about 8 ms of grid (6x8: 0.6 ms), so a class server may want it lower.
    max_neurons: Count = Field(32, description="neurons per hidden layer")
    max_points: Count = Field(2000, description="data points per session")
    max_message_bytes: Count = Field(256 * 1024, description="largest client message")
    messages_per_second: float = Field(60.0, gt=0, description="client messages per second")
    message_burst: Count = Field(120, description="messages a client may send at once")
    max_errors: Count = Field(
        30, description="error budget; refills 1/s, closes TOO_MANY_ERRORS when spent"
    )
    max_sessions: Count = Field(1000, description="sessions per process, detached ones too")
    grace_seconds: Seconds = Field(120.0, description="a detached session is kept this long")
    max_pending_texts: Count = Field(
        256, description="unsent text replies before a client counts as not reading"
    )

    # Per client address (a lecture hall behind one NAT is one address): sessions held at
    # once, and new sockets per minute after a burst of `connection_burst`.
    max_sessions_per_address: Count = Field(300, description="sessions one client address holds")
    connections_per_minute: Count = Field(
        120, description="new sockets per client address per minute, after the burst"
    )
    connection_burst: Count = Field(
        250, description="new sockets a client address may open at once"
    )
    reclaim_seconds: Seconds = Field(
        10.0, description="near max_sessions, a detached session is freed after this"
    )
    memory_budget_mb: float = Field(
        1024.0, gt=0, description="estimated memory of all sessions; over it, over_budget"
    )

    # HTTP: request bodies past these are refused with 413 while they stream in.
    max_body_bytes: Count = Field(64 * 1024, description="largest HTTP request body")
    max_share_bytes: Count = Field(4 * 1024 * 1024, description="largest share-link body")
    allowed_origins: str = Field(
        "", description="other origins allowed to change state, comma separated"
    )
    trusted_proxies: str = Field(
        "", description="proxies whose X-Forwarded-For is believed, comma separated ('*': any)"
    )

    # Defaults of the server-side config fields.
    fps: int = Field(30, ge=1, le=MAX_FPS, description="default frames per second")
    epochs_per_frame: int = Field(
        1, ge=1, le=MAX_EPOCHS_PER_FRAME, description="default epochs between frames"
    )
    grid_size: Annotated[int, Choices(GRID_SIZES), _one_of(GRID_SIZES)] = Field(
        100, description="default resolution of the output map"
    )
    thumb_size: Annotated[int, Choices(THUMB_SIZES), _one_of(THUMB_SIZES)] = Field(
        20, description="default resolution of each neuron's map"
    )
    # 32 matches the reference's 31-shade colour scale and keeps the 6x8 network's frame
    # under 16 KB deflated; 256 is smoother.
    map_levels: int = Field(32, ge=2, le=256, description="codes per map value on the wire")

    # Pacing: how long one session may hold the event loop before the scheduler moves on.
    slice_ms: float = Field(4.0, gt=0, description="milliseconds one session may train at once")
    # Off by default: on a loaded 2-core machine the thread's share of the GIL cost the other
    # sessions more frames than it saved (python -m app.abuse).
    frame_thread_ms: Seconds = Field(
        0.0, description="frames slower than this are built in a thread (0: never)"
    )
    # Diagnostics: every event-loop callback timed, reported at GET /debug/loop (app.loop_watch).
    loop_watch: bool = Field(False, description="time the event loop's callbacks (/debug/loop)")
    # One set of NumPy calls for every playing session of one network shape (engine.cohort,
    # app.cohorts); off: every session trains alone (A/B runs).
    cohorts: bool = Field(True, description="train sessions of one shape together")

    # Which pages may embed ours in a frame (CSP frame-ancestors; see docs/classroom.md).
    frame_ancestors: Annotated[str, Allowed(FRAME_ALLOWED), AfterValidator(_frame_sources)] = Field(
        "'self'", description="pages that may show ours in a frame"
    )

    static_dir: Path = Field(default_factory=lambda: asset_dir("static"), description="page assets")
    templates_dir: Path = Field(
        default_factory=lambda: asset_dir("templates"), description="page templates"
    )

    # Classroom (docs/classroom.md).
    data_dir: Path = Field(
        default_factory=default_data_dir, description="where rooms and share links are saved"
    )
    redis_url: str = Field(
        "",
        description="redis://host:port/db shared by every process and host (empty: in-process)",
    )
    # Solo sessions in shared storage (app.saved_sessions): Redis with redis_url, else
    # sessions.sqlite3 in data_dir (one host's workers); a reconnect to any worker resumes.
    session_save_seconds: Seconds = Field(
        5.0, description="a changing solo session is saved this often (0: memory only)"
    )
    max_saved_sessions: Count = Field(5000, description="solo sessions in shared storage")
    max_rooms: Count = Field(50, description="rooms loaded in this process at once")
    max_students: Count = Field(200, description="students per room")
    # A hall behind one NAT fills its 200 seats within two minutes; a bot cannot take them
    # all in a burst.
    room_joins: Count = Field(100, description="new places per client address per room per minute")
    # A room's other limits (app.classroom.parts.RoomLimits); each bounds what one client
    # (an address, a place or an instructor) can make the room store or compute.
    room_shares: Annotated[int, Field(ge=1, le=1000)] = Field(
        10, description="share links per client address per room per minute"
    )
    wall_openings: Annotated[int, Field(ge=1, le=600)] = Field(
        20, description="class wall openings per instructor per minute (each sends every card)"
    )
    submits_per_minute: Annotated[int, Field(ge=1, le=600)] = Field(
        6, description="challenge submissions per student per minute"
    )
    submits_per_student: Annotated[int, Field(ge=1, le=10_000)] = Field(
        30, description="submissions per student per challenge"
    )
    submits_per_challenge: Annotated[int, Field(ge=1, le=100_000)] = Field(
        2000, description="submissions per challenge, all students together"
    )
    challenges_per_room: Annotated[int, Field(ge=1, le=10_000)] = Field(
        100, description="challenges a room keeps"
    )
    # Past them an address's wrong codes are answered slowly (a right code never is: a class
    # behind one NAT always gets in).
    join_failures: Count = Field(30, description="wrong join codes per client per window")
    join_window: float = Field(60.0, gt=0, description="seconds of the join_failures window")
    room_creations: Count = Field(10, description="new rooms per client address per 10 minutes")
    snapshot_seconds: float = Field(
        3.0, gt=0, description="a live run is saved at least this often while it changes"
    )
    room_grace_seconds: Seconds = Field(
        60.0, description="a disconnected student keeps name and fork this long"
    )
    room_join_seconds: float = Field(
        10.0, gt=0, description="a new room socket has this long to send its join"
    )
    room_compress_frames: bool = Field(True, description="fan out compressed frames")
    room_pause_after: Seconds = Field(
        60.0, description="a live run nobody is connected to is paused after this"
    )
    room_idle_seconds: Seconds = Field(
        900.0, description="a room with nobody in it is unloaded (its state stays saved)"
    )
    room_reclaim_seconds: Seconds = Field(
        30.0, description="near max_rooms, an empty room is unloaded after this instead"
    )
    share_quota_mb: float = Field(512.0, gt=0, description="all share links together")
    share_days: float = Field(
        90.0, gt=0, description="a share link nobody opened for this long is deleted"
    )

    @classmethod
    def load(cls, **flags: Any) -> Settings:
        """Defaults < PLAYGROUND_* variables < `flags`; SettingsError (one line) if refused."""
        try:
            return cls(**flags)
        except ValidationError as exc:
            raise SettingsError(one_line(cls, exc, flags, ENV_PREFIX)) from None

    @classmethod
    def allowed(cls, name: str) -> str:
        """What values the field `name` accepts, in words ("an integer from 1 to 60")."""
        return allowed_values(cls.model_fields[name])

    def to_env(self) -> dict[str, str]:
        """The PLAYGROUND_* variables that reproduce these settings in another process."""
        return {ENV_PREFIX + name.upper(): str(value) for name, value in self.model_dump().items()}

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
