"""SQLite store: migrations, rooms, scenarios, snapshots, and survival across reopen."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from app.classroom import store as store_module
from app.classroom.store import MIGRATIONS, Store


def test_a_new_store_is_migrated_to_the_latest_version(tmp_path):
    store = Store.open(tmp_path)
    assert store.schema_version() == len(MIGRATIONS)
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_rooms_scenarios_and_snapshots_survive_reopening(tmp_path):
    store = Store.open(tmp_path)
    store.create_room("AC3D4E", "f" * 64)
    store.set_flags("AC3D4E", locked=True)
    store.save_live_state("AC3D4E", {"epoch": 7, "weights": [[0.5]]})
    scenario_id = store.add_scenario("AC3D4E", {"title": "xor", "config": {"dataset": "xor"}})
    snap = store.save_snapshot({"epoch": 3}, room_code="AC3D4E")
    store.close()

    again = Store.open(tmp_path)
    room = again.get_room("AC3D4E")
    assert room is not None and room.locked and not room.ended
    assert room.secret_hash == "f" * 64
    assert again.live_state("AC3D4E") == {"epoch": 7, "weights": [[0.5]]}
    assert again.scenarios("AC3D4E") == [
        {"id": scenario_id, "title": "xor", "config": {"dataset": "xor"}}
    ]
    assert again.snapshot(snap) == {"epoch": 3}
    assert again.snapshot("nope") is None
    assert [r.code for r in again.open_rooms()] == ["AC3D4E"]
    again.set_flags("AC3D4E", ended=True)
    assert again.open_rooms() == []


def test_a_taken_code_cannot_be_created_twice(tmp_path):
    store = Store.open(tmp_path)
    store.create_room("AC3D4E", "a" * 64)
    with pytest.raises(sqlite3.IntegrityError):
        store.create_room("AC3D4E", "b" * 64)


def test_snapshot_ids_are_long_and_distinct(tmp_path):
    store = Store.open(tmp_path)
    ids = {store.save_snapshot({"n": i}) for i in range(50)}
    assert len(ids) == 50 and all(len(i) >= 16 for i in ids)


def test_a_new_migration_applies_once_on_open(tmp_path, monkeypatch):
    Store.open(tmp_path).close()
    extra = "ALTER TABLE rooms ADD COLUMN title TEXT"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, extra))
    store = Store.open(tmp_path)
    assert store.schema_version() == len(MIGRATIONS) + 1
    store.close()
    Store.open(tmp_path).close()  # re-running must not apply it again (would fail)


def test_a_failing_migration_leaves_the_previous_version(tmp_path, monkeypatch):
    Store.open(tmp_path).close()
    bad = "ALTER TABLE rooms ADD COLUMN x TEXT; SELECT * FROM no_such_table"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*MIGRATIONS, bad))
    with pytest.raises(sqlite3.OperationalError):
        Store.open(tmp_path)
    columns = [
        r[1]
        for r in sqlite3.connect(tmp_path / "classroom.sqlite3").execute("PRAGMA table_info(rooms)")
    ]
    assert "x" not in columns


def test_a_store_from_newer_code_is_refused(tmp_path, monkeypatch):
    Store.open(tmp_path).close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:0])
    with pytest.raises(RuntimeError, match="newer"):
        Store.open(tmp_path)


def test_migrating_a_version_1_file_keeps_its_rooms(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS[:1])
    old = Store.open(tmp_path)
    old.create_room("AC3D4E", "a" * 64)
    old.save_live_state("AC3D4E", {"epoch": 4})
    old.close()
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    store = Store.open(tmp_path)
    assert store.schema_version() == len(MIGRATIONS) >= 2
    room = store.get_room("AC3D4E")
    assert room is not None and room.kicked == ()
    assert store.live_state("AC3D4E") == {"epoch": 4}
    store.add_kicked("AC3D4E", "bo")
    store.add_kicked("AC3D4E", "al")
    store.add_kicked("AC3D4E", "bo")
    assert store.get_room("AC3D4E").kicked == ("al", "bo")


def test_processes_starting_together_migrate_once(tmp_path):
    # Separate connections race to migrate a new file, as workers starting together do.
    errors = []

    def open_store():
        try:
            Store.open(tmp_path).close()
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = sqlite3.connect(tmp_path / "classroom.sqlite3").execute(
        "SELECT version FROM schema_version ORDER BY version"
    )
    assert [v for (v,) in versions] == list(range(1, len(MIGRATIONS) + 1))
