"""The `frame_ancestors` setting: which pages may show ours in a frame (CSP sources).

Kept apart from the middleware (app/classroom/security.py) so that settings can check it
without importing a web framework.
"""

from __future__ import annotations

import re

# One CSP source: 'self', *, a scheme (https:), or an origin with optional wildcards.
_SOURCE = re.compile(
    r"'self'|\*|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?[\w*.-]+(:(\d+|\*))?", re.ASCII
)
ALLOWED = "'self', 'none', *, or origins such as https://course.example.org, space-separated"


def frame_sources(value: str) -> list[str]:
    """The sources of a `frame_ancestors` setting; ValueError names the setting."""
    sources = value.split()
    if sources == ["'none'"]:
        return sources
    if not sources or not all(_SOURCE.fullmatch(s) for s in sources):
        raise ValueError(f"PLAYGROUND_FRAME_ANCESTORS={value!r} is not valid: use {ALLOWED}")
    return sources
