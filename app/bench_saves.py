"""What saving a solo session costs (app.saved_sessions): a benchmark, not a test.

    python -m app.bench_saves                      # SQLite in a temporary directory
    python -m app.bench_saves --redis-url redis://127.0.0.1:6379/0

For the default network and the largest one the server allows: the median milliseconds
of `capture` (on the event loop), `encode` and the store's `save` (in a thread), the
blob's size, and a load (claim and rebuild) on another worker. A playing session that
changes is saved every `session_save_seconds` (5): its share of a core is the total / 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from app import session_state
from app.session import Session
from app.session_store import RedisSessions, SessionStore, SqliteSessions
from app.settings import Settings
from engine import FEATURES

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "largest": {
        "dataset": "spiral",
        "num_points": 2000,
        "features": list(FEATURES),
        "optimizer": "adam",
    },
}
ROUNDS = 30


def median_ms(run: Callable[[], Any]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(store: SessionStore, settings: Settings, name: str, config: dict) -> str:
    session = Session(f"bench-{name}", settings, np.random.default_rng(0))
    hidden = [settings.max_neurons] * settings.max_hidden_layers if name == "largest" else None
    session.trainer.configure({**config, **({"hidden": hidden} if hidden else {})})
    session.trainer.train_epochs(20)
    session.trainer.train_batches(2)  # a partly run epoch: its order and backup are saved too
    state = session_state.capture(session)
    blob = session_state.encode(state)
    capture = median_ms(lambda: session_state.capture(session))
    encode = median_ms(lambda: session_state.encode(state))
    save = median_ms(lambda: store.save(session.id, "bench", "bench", blob, True))
    load = median_ms(
        lambda: session_state.rebuild(store.claim(session.id, "other", False), 1 << 26)
    )
    return (
        f"{name:8} capture {capture:6.2f}  encode {encode:6.2f}  save {save:6.2f} ms  "
        f"blob {len(blob) / 1024:6.1f} KB  load {load:6.2f} ms"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m app.bench_saves", description=__doc__)
    p.add_argument("--redis-url", help="measure Redis instead of SQLite")
    args = p.parse_args(argv)
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="bench-saves-") as directory:
        if args.redis_url:
            store: SessionStore = RedisSessions(args.redis_url, 60, 10, 100)
        else:
            store = SqliteSessions(Path(directory) / "sessions.sqlite3", 60, 10, 100)
        try:
            for name, config in CONFIGS.items():
                print(measure(store, settings, name, config))
        finally:
            store.close()


if __name__ == "__main__":
    main()
