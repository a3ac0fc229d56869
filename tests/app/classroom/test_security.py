"""Security headers on every page, and the CSP lets only our own scripts run."""

from __future__ import annotations

import pytest

from app.classroom.security import CONTENT_SECURITY_POLICY


def directives() -> dict[str, list[str]]:
    out = {}
    for part in CONTENT_SECURITY_POLICY.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_scripts_come_only_from_our_origin():
    d = directives()
    assert d["script-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"]
    assert d["base-uri"] == ["'none'"]
    assert d["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", ["/", "/classroom", "/api/options"])
def test_every_http_response_carries_the_headers(server, path):
    status, _, headers = server.get(path)
    assert status == 200
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
