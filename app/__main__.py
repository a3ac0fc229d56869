"""`playground` / `python -m app`: serve the app with uvicorn (flags override PLAYGROUND_*)."""

from __future__ import annotations

import argparse
import ctypes
import importlib.metadata
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence

# NumPy single-threaded, set before anything can import numpy (BLAS reads these once, at
# load): OpenBLAS hands larger products to a thread pool, which made grid evaluation 5-30x
# slower on a busy 2-core machine. Spawned workers inherit the environment. setdefault: an
# operator's explicit value wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

# glibc's malloc gives large freed blocks back to the kernel (anything over 128 KB is its own
# mapping), so every frame's maps and every cohort's stacked arrays (0.3-2 MB) were new pages
# again: 66 page faults a frame, 12-14% of a worker's CPU in the kernel, +25-30% CPU per frame
# since the cohort maps came (python -m app.bench_cpu; 0.1 faults a frame with these). Blocks
# below MMAP come from the heap, which keeps up to TRIM of free memory instead of returning it.
# The variables reach the worker processes (glibc reads them at start); `keep_freed_memory`
# applies the same to this process. An operator's explicit values win.
MALLOC_MMAP_THRESHOLD = 16 << 20
MALLOC_TRIM_THRESHOLD = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def keep_freed_memory() -> None:
    """Have malloc keep freed large blocks for reuse (see MALLOC_MMAP_THRESHOLD); no-op off
    glibc."""
    os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(MALLOC_MMAP_THRESHOLD))
    os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(MALLOC_TRIM_THRESHOLD))
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    for option, name in ((_M_MMAP_THRESHOLD, "MMAP"), (_M_TRIM_THRESHOLD, "TRIM")):
        value = os.environ[f"MALLOC_{name}_THRESHOLD_"]
        if value.isdigit():
            mallopt(option, int(value))


# Imported after the BLAS variables on purpose (either may import numpy, now or later).
import uvicorn  # noqa: E402

from app import logs  # noqa: E402
from app.balance import BALANCE_DIR_ENV  # noqa: E402
from app.settings import ENV_PREFIX, Settings, SettingsError  # noqa: E402

# uvicorn refuses (closes with 1009) anything above this; between max_message_bytes and
# this the client gets a `too_large` error and the session goes on.
HARD_MESSAGE_FACTOR = 4
DISTRIBUTION = "nn-playground-server"  # pyproject's [project] name


def version() -> str:
    """The installed distribution's version (a source tree without metadata says so)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="playground",
        usage="%(prog)s [-h] [--version] [--SETTING VALUE ...]",
        description="Serve the Playground app. Each flag also has a PLAYGROUND_<NAME> variable; "
        "a flag wins over its variable.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        p.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=None,
            metavar=name.upper(),
            help=f"{field.description}: {Settings.allowed(name)} "
            f"(default {default}; env {ENV_PREFIX}{name.upper()})",
        )
    return p


def settings_from(argv: Sequence[str] | None = None) -> Settings:
    """Defaults < PLAYGROUND_* variables < flags; a refused value exits with one line."""
    args = vars(parser().parse_args(argv))
    try:
        return Settings.load(**{k: v for k, v in args.items() if v is not None})
    except SettingsError as exc:
        sys.exit(f"playground: {exc}")  # one line on stderr, exit status 1


def main(argv: Sequence[str] | None = None) -> None:
    settings = settings_from(argv)
    keep_freed_memory()
    # Worker processes build their app from the environment, so hand the settings down.
    os.environ.update(settings.to_env())
    # Workers publish their loads in a directory (app.balance): the operator's, named in
    # PLAYGROUND_BALANCE_DIR (for monitoring), else one of this server's own.
    made = ""
    if settings.workers > 1 and not os.environ.get(BALANCE_DIR_ENV):
        made = os.environ[BALANCE_DIR_ENV] = tempfile.mkdtemp(prefix="playground-workers-")
    elif settings.workers == 1:
        os.environ.pop(BALANCE_DIR_ENV, None)
    try:
        serve(settings)
    finally:
        if made:
            shutil.rmtree(made, ignore_errors=True)


def serve(settings: Settings) -> None:
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        log_config=logs.config(settings.log_format, settings.log_level),
        # X-Forwarded-For is believed only from configured proxies (none by default).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        ws="app.wsproto:FastDeflateProtocol",
        ws_per_message_deflate=True,
        ws_max_size=max(settings.max_message_bytes * HARD_MESSAGE_FACTOR, 1 << 20),
        loop="asyncio",  # the selector loop app.balance's gate works on
    )


if __name__ == "__main__":
    main()
