"""The engine stays a pure library: importing it pulls in no web or async machinery."""

import subprocess
import sys

FORBIDDEN = (
    "fastapi",
    "starlette",
    "pydantic",
    "asyncio",
    "json",
    "uvicorn",
    "websockets",
    "logging",
)


def test_importing_engine_imports_no_web_async_json_or_logging_module():
    code = (
        "import sys, engine\n"
        "engine.Trainer().train_epochs(1)\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert bad == []
    assert "engine.trainer" in loaded  # the check really saw the engine


def test_no_engine_module_draws_from_the_global_random_state():
    import re
    from pathlib import Path

    import engine

    allowed = {"Generator", "default_rng", "SeedSequence"}
    for path in Path(engine.__file__).parent.glob("*.py"):
        for name in re.findall(r"np\.random\.(\w+)", path.read_text()):
            assert name in allowed, f"{path.name} uses np.random.{name}"
        assert "import random" not in path.read_text(), path.name
