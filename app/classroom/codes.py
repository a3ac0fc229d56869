"""Join codes, instructor secrets, display names and the join-code guessing throttle."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from collections import deque
from collections.abc import Callable

from app.protocol import CloseCode, ProtocolError

# No 0/O, 1/I/L, 2/Z, 5/S or 8/B: a code read off a projector must survive bad handwriting.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 6
NAME_MAX = 32


class InputError(ProtocolError):
    """A client-supplied value is not acceptable; `.field` names it for the error message.

    A socket answers it like any refused message; the HTTP routes with a status code.
    """

    def __init__(
        self, code: str, field: str | None, message: str, close: CloseCode | None = None
    ) -> None:
        super().__init__(code, message, field, close)


def new_join_code() -> str:
    """A short code for students to type (25^6, about 2.4e8 codes; guessing is throttled)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_join_code(raw: object) -> str:
    """Upper-case, strip spaces and dashes; InputError unless it could be a code at all."""
    if not isinstance(raw, str):
        raise InputError("invalid_field", "code", "code must be a string")
    code = raw.strip().upper().replace("-", "").replace(" ", "")
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise InputError(
            "invalid_field",
            "code",
            f"code must be {CODE_LENGTH} characters from {CODE_ALPHABET}",
        )
    return code


def new_secret() -> str:
    """An instructor secret of 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    """SHA-256 hex digest; a plain hash suffices because the secret itself has 192 bits."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: object, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret against the stored hash."""
    if not isinstance(secret, str) or not secret:
        return False
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def validate_name(raw: object) -> str:
    """A display name: trimmed, 1-32 characters, no control or format characters."""
    if raw is None:
        raise InputError("invalid_field", "name", "name is required (1-32 characters)")
    if not isinstance(raw, str):
        raise InputError("invalid_field", "name", "name must be a string of 1-32 characters")
    name = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise InputError(
            "invalid_field", "name", f"name must be 1-{NAME_MAX} characters after trimming"
        )
    # Cc: controls (newlines, escapes); Cf: format characters such as RTL overrides that
    # would let one name visually rewrite the others in the member list.
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in name):
        raise InputError(
            "invalid_field", "name", "name must not contain control or format characters"
        )
    return name


class Throttle:
    """Per-client budget of counted attempts in a sliding window.

    For join codes, every wrong code counts: a client with `max_failures` of them within
    `window` seconds is refused (even with a valid code) until the oldest leaves the
    window. Room creations and share links count every attempt.
    """

    def __init__(
        self,
        max_failures: int = 10,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        what: str = "wrong join codes",
    ) -> None:
        self.what = what  # what is being counted, for the error message
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        now = self._clock()
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[client]
        return times

    def check(self, client: str) -> None:
        """Raise InputError(rate_limited) if the client has no attempts left."""
        times = self._recent(client)
        if len(times) >= self.max_failures:
            raise self.refusal(self.window - (self._clock() - times[0]))

    def refusal(self, wait: float) -> InputError:
        """The `rate_limited` error for a client who may try again in `wait` seconds."""
        return InputError(
            "rate_limited",
            "code",
            f"too many {self.what}: at most {self.max_failures} per "
            f"{int(self.window)} s; try again in {max(1, int(wait + 0.999))} s",
        )

    def spend(self, client: str) -> None:
        """check, then count: an attempt that costs the server whether it succeeds or not."""
        self.check(client)
        self.count(client)

    def spent(self, client: str) -> bool:
        """Has the client used up its budget within the window?"""
        return len(self._recent(client)) >= self.max_failures

    def count(self, client: str) -> None:
        """Count one attempt against the client's budget."""
        self._failures.setdefault(client, deque()).append(self._clock())
        if len(self._failures) > 10_000:  # forget idle clients so memory stays bounded
            for key in list(self._failures)[:1000]:
                self._recent(key)
