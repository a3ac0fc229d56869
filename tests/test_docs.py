"""Keep the README's Quick start and CI honest."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_quick_start_has_exactly_two_single_line_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)


def test_run_command_starts_the_console_script():
    run = quick_start_commands()[0]
    assert run.endswith("playground")
    assert 'playground = "app.__main__:main"' in (ROOT / "pyproject.toml").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    awk = (ROOT / ".ci" / "run").read_text().split("test_cmd=$(", 1)[1].split(" README.md)", 1)[0]
    out = subprocess.run(
        ["bash", "-c", f"{awk} README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == quick_start_commands()[1]
    assert "pytest" in out.stdout


def test_code_is_ruff_clean():
    for args in (["check", "."], ["format", "--check", "."]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stdout + out.stderr
