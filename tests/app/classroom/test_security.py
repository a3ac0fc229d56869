"""Security headers on every page, and the CSP lets only our own scripts run."""

from __future__ import annotations

import pytest

from app.classroom.security import content_security_policy, security_headers
from app.framing import frame_sources
from app.settings import Settings, SettingsError


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_scripts_come_only_from_our_origin_and_frames_from_the_setting():
    d = directives(content_security_policy())
    assert d["script-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert d["base-uri"] == ["'none'"]
    assert d["frame-ancestors"] == ["'self'"]  # the default: same origin only
    listed = directives(content_security_policy("'self' https://course.example.org"))
    assert listed["frame-ancestors"] == ["'self'", "https://course.example.org"]


@pytest.mark.parametrize(
    ("setting", "x_frame_options"),
    [
        ("'self'", b"SAMEORIGIN"),
        ("'none'", b"DENY"),
        ("http://localhost:8888 'self'", b"SAMEORIGIN"),
    ],
)
def test_x_frame_options_follows_the_setting(setting, x_frame_options):
    assert dict(security_headers(setting))[b"x-frame-options"] == x_frame_options


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "'self'; script-src *",
        "https://a.org, https://b.org",
        "'none' 'self'",
        "'unsafe-inline'",
    ],
)
def test_a_bad_frame_ancestors_setting_names_the_variable_and_the_allowed_values(bad):
    with pytest.raises(ValueError, match="PLAYGROUND_FRAME_ANCESTORS=.*'self', 'none', \\*"):
        frame_sources(bad)
    with pytest.raises(SettingsError, match="frame_ancestors must be 'self', 'none', \\*"):
        Settings.load(frame_ancestors=bad)


@pytest.mark.parametrize("path", ["/", "/classroom", "/api/options"])
def test_every_http_response_carries_the_headers(server, path):
    status, _, headers = server.get(path)
    assert status == 200
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-security-policy"] == content_security_policy()
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "SAMEORIGIN"
