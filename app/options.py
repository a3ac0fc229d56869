"""The server's config fields, and the engine's options narrowed by the server's limits."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from app.protocol import ProtocolError
from app.settings import GRID_SIZES, MAX_EPOCHS_PER_FRAME, MAX_FPS, THUMB_SIZES, Settings
from engine import DATA_FIELDS, OPTIONS
from engine.compare import MAX_VARIANTS, MIN_VARIANTS

COMPARE_MAP_SIZE = 50  # each compared variant's output map is n × n (app/compare.py)
# The fields a compare's variant may change: every engine field but the data's.
VARIANT_FIELDS = tuple(name for name in OPTIONS if name not in DATA_FIELDS)


def compare_options() -> dict[str, Any]:
    """What a `compare` message may ask for (bootstrap and /api/options `compare`)."""
    return {
        "min_variants": MIN_VARIANTS,
        "max_variants": MAX_VARIANTS,
        "fields": list(VARIANT_FIELDS),
        "map_size": COMPARE_MAP_SIZE,
    }


def server_options(settings: Settings) -> dict[str, dict[str, Any]]:
    """The server-only config fields, described like the engine's OPTIONS entries."""
    return {
        "epochs_per_frame": {
            "name": "epochs_per_frame",
            "label": "Epochs per frame",
            "type": "int",
            "default": settings.epochs_per_frame,
            "kind": "live",
            "min": 1,
            "max": MAX_EPOCHS_PER_FRAME,
            "doc": "epochs trained between two frames while playing",
        },
        "fps": {
            "name": "fps",
            "label": "Frames per second",
            "type": "int",
            "default": settings.fps,
            "kind": "live",
            "min": 1,
            "max": MAX_FPS,
            "doc": "frames per second at most while playing",
        },
        "thumb_size": {
            "name": "thumb_size",
            "label": "Neuron map resolution",
            "type": "int",
            "default": settings.thumb_size,
            "kind": "live",
            "choices": list(THUMB_SIZES),
            "doc": "resolution of every neuron's map",
        },
        "grid_size": {
            "name": "grid_size",
            "label": "Map resolution",
            "type": "int",
            "default": settings.grid_size,
            "kind": "live",
            "choices": list(GRID_SIZES),
            "doc": "resolution of the output map and the selected node's map",
        },
    }


def all_options(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every field a client may configure: the engine's (narrowed) plus the server's."""
    options = copy.deepcopy(OPTIONS)
    options["hidden"]["max"] = min(options["hidden"]["max"], settings.max_neurons)
    options["hidden"]["max_layers"] = min(
        options["hidden"]["max_layers"], settings.max_hidden_layers
    )
    options["hidden"]["doc"] = f"0-{options['hidden']['max_layers']} layers"
    options["num_points"]["max"] = min(options["num_points"]["max"], settings.max_points)
    options["batch_size"]["max"] = min(options["batch_size"]["max"], settings.max_points)
    options.update(server_options(settings))
    return options


def server_defaults(settings: Settings) -> dict[str, int]:
    """The server-only fields' defaults."""
    return {name: entry["default"] for name, entry in server_options(settings).items()}


def split_server_fields(
    changes: Mapping[str, Any], settings: Settings
) -> tuple[dict[str, int], dict[str, Any]]:
    """Validate the server fields of a `configure`, return (server changes, engine changes)."""
    server: dict[str, int] = {}
    engine: dict[str, Any] = {}
    specs = server_options(settings)
    for name, value in changes.items():
        spec = specs.get(name)
        if spec is None:
            engine[name] = value
            continue
        if "choices" in spec:
            ok = _is_int(value) and value in spec["choices"]
            allowed = "one of " + ", ".join(str(c) for c in spec["choices"])
        else:
            ok = _is_int(value) and spec["min"] <= value <= spec["max"]
            allowed = f"an integer from {spec['min']} to {spec['max']}"
        if not ok:
            raise ProtocolError("invalid_field", f"{name}: must be {allowed} (got {value!r})", name)
        server[name] = int(value)
    check_engine_limits(engine, settings)
    return server, engine


def check_engine_limits(changes: Mapping[str, Any], settings: Settings) -> None:
    """The server's narrower bounds on engine fields (the engine checks the rest)."""
    hidden = changes.get("hidden")
    if isinstance(hidden, list | tuple):
        allowed = (
            f"a list of 0-{settings.max_hidden_layers} layer sizes, "
            f"each from 1 to {settings.max_neurons}"
        )
        if len(hidden) > settings.max_hidden_layers or any(
            _is_int(n) and n > settings.max_neurons for n in hidden
        ):
            raise ProtocolError(
                "invalid_field", f"hidden: must be {allowed} (got {hidden!r})", "hidden"
            )
    for name in ("num_points", "batch_size"):
        value = changes.get(name)
        if _is_int(value) and value > settings.max_points:
            raise ProtocolError(
                "invalid_field",
                f"{name}: must be at most {settings.max_points} on this server (got {value!r})",
                name,
            )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# What a socket may ask for itself with a `view` message (app.connection, app.mailbox): not
# part of the session's config, so a follower and the owner each choose their own.
SOCKET_VIEW_OPTIONS: dict[str, dict[str, Any]] = {
    "max_fps": {
        "name": "max_fps",
        "type": "int",
        "default": None,
        "min": 1,
        "max": MAX_FPS,
        "doc": "frames per second this socket takes at most (null: every frame); "
        "the newest frame is the one sent",
    },
}


def check_socket_view(data: Mapping[str, Any]) -> dict[str, int | None]:
    """Validate a `view` message: each field an integer in its range, or null to lift it."""
    checked: dict[str, int | None] = {}
    for name, value in data.items():
        spec = SOCKET_VIEW_OPTIONS.get(name)
        if spec is None:
            allowed = ", ".join(SOCKET_VIEW_OPTIONS)
            message = f"{name}: not a view field (one of {allowed})"
            raise ProtocolError("invalid_field", message, name)
        if value is not None and not (_is_int(value) and spec["min"] <= value <= spec["max"]):
            raise ProtocolError(
                "invalid_field",
                f"{name}: must be an integer from {spec['min']} to {spec['max']} "
                f"or null (got {value!r})",
                name,
            )
        checked[name] = value
    return checked
