"""Join codes, secrets, display names and the guessing throttle."""

from __future__ import annotations

import pytest

from app.classroom.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    InputError,
    Throttle,
    hash_secret,
    new_join_code,
    new_secret,
    normalize_join_code,
    secret_matches,
    validate_name,
)


def test_join_codes_use_only_the_unambiguous_alphabet_and_vary():
    codes = {new_join_code() for _ in range(200)}
    assert len(codes) > 195
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)


def test_normalize_join_code_accepts_lower_case_spaces_and_dashes():
    assert normalize_join_code(" ac3-d4e ") == "AC3D4E"


@pytest.mark.parametrize("raw", ["", "ABC", "ABCDEFG", "ABCD0E", 123456, None])
def test_normalize_join_code_rejects_what_cannot_be_a_code(raw):
    with pytest.raises(InputError) as info:
        normalize_join_code(raw)
    assert info.value.field == "code"


def test_secret_has_at_least_128_bits_and_only_its_hash_matches():
    secret = new_secret()
    # token_urlsafe(24): 24 random bytes = 192 bits, 32 base64url characters.
    assert len(secret) == 32
    stored = hash_secret(secret)
    assert secret not in stored
    assert secret_matches(secret, stored)
    assert not secret_matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), stored)
    assert not secret_matches("", stored)
    assert not secret_matches(None, stored)
    assert not secret_matches(stored, stored)  # the hash itself is no key


def test_names_are_trimmed_and_length_limited():
    assert validate_name("  Ada  ") == "Ada"
    assert validate_name("x" * 32) == "x" * 32
    with pytest.raises(InputError, match="1-32"):
        validate_name("x" * 33)
    with pytest.raises(InputError, match="1-32"):
        validate_name("   ")


@pytest.mark.parametrize("name", ["a\nb", "a\x1bb", "evil\u202egnp", "\x00"])
def test_names_with_control_or_format_characters_are_refused(name):
    with pytest.raises(InputError) as info:
        validate_name(name)
    assert info.value.field == "name"


def test_markup_in_a_name_is_allowed_as_text():
    # The page renders names with textContent; markup is just characters.
    assert validate_name("<b>Bo</b>") == "<b>Bo</b>"


def test_throttle_refuses_after_max_failures_and_recovers_after_the_window():
    now = [1000.0]
    throttle = Throttle(max_failures=3, window=60.0, clock=lambda: now[0])
    for _ in range(3):
        throttle.check("1.2.3.4")
        throttle.count("1.2.3.4")
    with pytest.raises(InputError) as info:
        throttle.check("1.2.3.4")
    assert info.value.code == "rate_limited"
    throttle.check("5.6.7.8")  # other clients are unaffected
    now[0] += 59.0
    with pytest.raises(InputError):
        throttle.check("1.2.3.4")
    now[0] += 1.0
    throttle.check("1.2.3.4")
