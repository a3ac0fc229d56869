"""The engine's two scripts run end to end (no timing is asserted: see engine.bench)."""

import subprocess
import sys
from pathlib import Path


def _run(*args):
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def test_cli_trains_and_prints_losses():
    out = _run("engine", "--dataset", "xor", "--epochs", "40", "--every", "20")
    lines = out.strip().splitlines()
    assert lines[0].startswith("epoch     20") and lines[1].startswith("epoch     40")
    assert "test accuracy" in lines[1]


def test_cli_explains_a_bad_option():
    out = subprocess.run(
        [sys.executable, "-m", "engine", "--learning-rate", "50"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "learning_rate" in out.stderr and "10" in out.stderr


def test_bench_prints_both_cases():
    out = _run("engine.bench", "--repeats", "1", "--epochs", "2")
    assert "a_default" in out and "b_spiral_6x8_all_features" in out and "epochs/s" in out


def test_bench_cohort_prints_training_and_metrics():
    out = _run("engine.bench", "--repeats", "1", "--epochs", "10", "--cohort", "3")
    assert "member-epochs/s" in out and "metrics()" in out


def test_lone_bench_compares_against_a_baseline_checkout():
    """--lone --baseline runs both engines side by side (here the same one twice)."""
    root = Path(__file__).resolve().parents[2]
    out = _run("engine.bench", "--lone", "--repeats", "1", "--baseline", str(root))
    lines = out.strip().splitlines()
    assert lines[0].startswith("baseline") and lines[1].startswith("this")
    assert "ms CPU per frame" in lines[1] and lines[2].startswith("this / baseline:")
