"""Settings from PLAYGROUND_* variables and CLI flags; asset dirs found without the CWD."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main, parser
from app.settings import Settings, asset_dir

REPO = Path(__file__).resolve().parents[2]


def test_defaults_match_the_issue():
    s = Settings.from_env({})
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert (s.max_hidden_layers, s.max_neurons, s.max_points) == (8, 32, 2000)
    assert s.max_message_bytes == 256 * 1024
    assert (s.grace_seconds, s.fps, s.thumb_size, s.grid_size) == (120.0, 30, 20, 100)


def test_environment_variables_override_defaults_and_keywords_override_both():
    env = {"PLAYGROUND_PORT": "9001", "PLAYGROUND_GRACE_SECONDS": "2.5", "PLAYGROUND_HOST": ""}
    s = Settings.from_env(env, max_points=50)
    assert s.port == 9001 and s.grace_seconds == 2.5 and s.max_points == 50
    assert s.host == "127.0.0.1"  # empty means unset


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="PLAYGROUND_PORT='eighty' is not a valid int"):
        Settings.from_env({"PLAYGROUND_PORT": "eighty"})


def test_settings_survive_the_trip_through_the_environment():
    s = Settings.from_env({}, workers=2, max_sessions=7, map_levels=64)
    assert Settings.from_env(s.to_env()) == s


def test_asset_dirs_are_the_source_tree_ones_here_whatever_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert asset_dir("templates") == REPO / "templates"
    assert Settings.from_env({}).static_dir == REPO / "static"


def test_cli_flags_exist_for_host_port_workers_and_every_setting():
    args = parser().parse_args(["--host", "0.0.0.0", "--port", "9", "--workers", "2", "--fps", "5"])
    assert (args.host, args.port, args.workers, args.fps) == ("0.0.0.0", "9", "2", "5")


def test_cli_rejects_a_bad_flag_value_with_its_name(capsys):
    with pytest.raises(SystemExit):
        main(["--port", "x"])
    assert "PLAYGROUND_PORT='x'" in capsys.readouterr().err


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
        ("thumb_size", 30, "thumb_size must be one of"),
        ("grid_size", 64, "grid_size must be one of"),
        ("fps", 0, "fps must be from 1 to 60"),
        ("map_levels", 1, "map_levels must be from 2 to 256"),
        ("max_sessions", 0, "max_sessions must be at least 1"),
    ],
)
def test_impossible_settings_are_refused_naming_the_setting(name, value, words):
    with pytest.raises(ValueError, match=words):
        Settings.from_env({}, **{name: value})
