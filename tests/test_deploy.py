"""docs/deploy/: the image installs and starts the app as the README's Quick start does, the
compose file names Redis and two app services that use it, and every setting the
deployment files and docs/deploy.md name is a real one."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from app.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "docs" / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
GUIDE = (ROOT / "docs" / "deploy.md").read_text()


def quick_start() -> list[list[str]]:
    """The README's install-and-start command, as its `&&`-joined commands."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start")[1].split("```bash\n")[1].split("```")[0]
    return [shlex.split(part) for part in block.strip().splitlines()[0].split("&&")]


def instructions(kind: str) -> list[str]:
    """The Dockerfile's `kind` instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line[len(kind) + 1 :] for line in text.splitlines() if line.startswith(kind + " ")]


def test_the_image_installs_and_starts_as_the_quick_start_does():
    venv, install, start = quick_start()
    (run,) = [r for r in instructions("RUN") if "pip install" in r]
    image_venv, image_install = [shlex.split(part) for part in run.split("&&")]
    assert image_venv == venv
    # The same pip on the same checkout; the image adds the redis extra (PLAYGROUND_REDIS_URL).
    assert image_install[:-1] == install[:-1] and install[-1] == "."
    assert image_install[-1] in (".", ".[redis]")
    (command,) = instructions("CMD")
    assert json.loads(command) == start


def test_the_image_copies_everything_the_build_reads():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    project = pyproject["project"]
    needed = {"pyproject.toml", project["readme"], *project["license-files"]}
    needed |= {*wheel["packages"], *wheel["force-include"]}
    copied = {p for c in instructions("COPY") for p in shlex.split(c)[:-1] if p[:2] != "--"}
    assert needed <= copied


def test_compose_runs_redis_and_two_app_services_that_use_it():
    services = COMPOSE["services"]
    redis = {name for name, s in services.items() if s.get("image", "").startswith("redis")}
    apps = {
        name: s
        for name, s in services.items()
        if s.get("build", {}).get("dockerfile") == "docs/deploy/Dockerfile"
    }
    assert len(redis) == 1 and len(apps) >= 2
    for service in apps.values():
        url = urlsplit(service["environment"]["PLAYGROUND_REDIS_URL"])
        assert url.scheme == "redis" and url.hostname in redis
        assert (DEPLOY / service["build"]["context"] / "pyproject.toml").is_file()


def test_every_setting_named_in_the_deployment_is_a_real_one():
    texts = [DOCKERFILE, GUIDE, (DEPLOY / "compose.yaml").read_text()]
    named = {m.lower() for t in texts for m in re.findall(rf"\b{ENV_PREFIX}([A-Z_]+)\b", t)}
    # The guide names the server's flags in backticks (`--workers N`); shell lines use others.
    flags = {m.replace("-", "_") for m in re.findall(r"`--([a-z][a-z-]+)", GUIDE)}
    assert named and named <= set(Settings.model_fields) | {"balance_dir"}
    assert flags and flags <= set(Settings.model_fields)


def test_the_nginx_files_pass_websocket_upgrades_and_the_guide_names_every_file():
    proxy = (DEPLOY / "proxy.conf").read_text()
    for header in ("Upgrade $http_upgrade", "Connection $connection_upgrade", "Host $http_host"):
        assert f"proxy_set_header {header};" in proxy
    for name in ("nginx.conf", "nginx-compose.conf"):
        text = (DEPLOY / name).read_text()
        assert "map $http_upgrade $connection_upgrade" in text
        assert "include /etc/nginx/playground-proxy.conf;" in text
    for path in DEPLOY.iterdir():
        assert f"docs/deploy/{path.name}" in GUIDE, path.name
