"""Settings: one typed model, PLAYGROUND_* variables and flags; asset dirs found without the CWD."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import parser, settings_from
from app.settings import Settings, SettingsError, asset_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in list(os.environ):
        if name.startswith("PLAYGROUND_"):
            monkeypatch.delenv(name)


def test_defaults_match_the_issue():
    s = Settings.load()
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert (s.max_hidden_layers, s.max_neurons, s.max_points) == (8, 32, 2000)
    assert s.max_message_bytes == 256 * 1024
    assert (s.grace_seconds, s.fps, s.thumb_size, s.grid_size) == (120.0, 30, 20, 100)
    assert (s.max_rooms, s.max_students, s.room_compress_frames) == (50, 200, True)


def test_environment_variables_override_defaults_and_keywords_override_both(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_PORT", "9001")
    monkeypatch.setenv("PLAYGROUND_GRACE_SECONDS", "2.5")
    monkeypatch.setenv("PLAYGROUND_MAX_POINTS", "70")
    monkeypatch.setenv("PLAYGROUND_HOST", "")  # empty means unset
    s = Settings.load(max_points=50)
    assert s.port == 9001 and s.grace_seconds == 2.5 and s.max_points == 50
    assert s.host == "127.0.0.1"


def test_classroom_settings_and_the_data_dir_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAYGROUND_MAX_STUDENTS", "7")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLAYGROUND_ROOM_COMPRESS_FRAMES", "false")
    s = Settings.load()
    assert (s.max_students, s.data_dir, s.room_compress_frames) == (7, tmp_path, False)


def test_default_data_dir_follows_xdg_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings.load().data_dir == tmp_path / "xdg" / "playground"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Settings.load().data_dir.is_absolute()


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("PORT", "abc", "PLAYGROUND_PORT='abc': port must be an integer from 0 to 65535"),
        (
            "ROOM_COMPRESS_FRAMES",
            "maybe",
            "PLAYGROUND_ROOM_COMPRESS_FRAMES='maybe': room_compress_frames must be true or false",
        ),
        ("THUMB_SIZE", "30", "thumb_size must be 10, 20, 25 or 50"),
        ("LOG_LEVEL", "loud", "log_level must be critical, error, warning, info, debug or trace"),
        ("MAX_ROOMS", "many", "PLAYGROUND_MAX_ROOMS='many': max_rooms must be an integer of at"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it_and_the_allowed_values(variable, value, words):
    env = {**os.environ, f"PLAYGROUND_{variable}": value}
    result = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert words in result.stderr


def test_a_bad_flag_is_named_as_the_flag():
    with pytest.raises(SystemExit) as exit_:
        settings_from(["--port", "x"])
    assert exit_.value.code == "playground: --port='x': port must be an integer from 0 to 65535"


def test_a_flag_wins_over_its_variable(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_FPS", "10")
    monkeypatch.setenv("PLAYGROUND_MAX_ROOMS", "3")
    s = settings_from(["--fps", "5", "--data-dir", "/tmp/x", "--room-compress-frames", "0"])
    assert (s.fps, s.max_rooms, s.data_dir, s.room_compress_frames) == (5, 3, Path("/tmp/x"), False)


def test_settings_survive_the_trip_through_the_environment(monkeypatch):
    s = Settings.load(workers=2, max_sessions=7, map_levels=64, room_compress_frames=False)
    for name, value in s.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings.load() == s


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_flag_and_a_variable_in_help(name):
    text = " ".join(parser().format_help().split())
    flag = "--" + name.replace("_", "-")
    assert f"{flag} {name.upper()} {Settings.model_fields[name].description}:" in text
    assert f"env PLAYGROUND_{name.upper()})" in text


def test_asset_dirs_are_the_source_tree_ones_here_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert asset_dir("templates") == REPO / "templates"
    assert Settings.load().static_dir == REPO / "static"


def test_session_logic_does_not_import_fastapi():
    code = (
        "import sys; import app.session, app.sessions, app.connection, app.pacing, "
        "app.handlers, app.frames, app.protocol; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("thumb_size", 30, "--thumb-size=30: thumb_size must be 10, 20, 25 or 50"),
        ("grid_size", 64, "grid_size must be 100 or 200"),
        ("fps", 0, "fps must be an integer from 1 to 60"),
        ("map_levels", 1, "map_levels must be an integer from 2 to 256"),
        ("max_sessions", 0, "max_sessions must be an integer of at least 1"),
        ("room_grace_seconds", -1, "room_grace_seconds must be a number of at least 0"),
        ("submits_per_minute", 0, "submits_per_minute must be an integer from 1 to 600"),
        ("wall_openings", 601, "wall_openings must be an integer from 1 to 600"),
        ("no_such_setting", 1, "there is no setting 'no_such_setting'"),
    ],
)
def test_impossible_settings_are_refused_naming_the_setting(name, value, words):
    with pytest.raises(SettingsError, match=words):
        Settings.load(**{name: value})
