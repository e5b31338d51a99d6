"""POSKO_SMS_WEBHOOK_SECRET and POSKO_SMS_OUTBOUND_URL are parsed strictly: a short or
space-carrying secret, or a URL that is not http(s), stops Posko at start-up with a message."""

from __future__ import annotations

import pytest

from posko.env import ConfigError, env_secret, env_url
from posko.sms.signature import is_authentic, sign

GOOD = "k" * 32


def test_the_secret_is_optional_and_strict(tmp_path):
    assert env_secret("POSKO_SMS_WEBHOOK_SECRET", {}) is None
    assert env_secret("POSKO_SMS_WEBHOOK_SECRET", {"POSKO_SMS_WEBHOOK_SECRET": ""}) is None
    assert env_secret("POSKO_SMS_WEBHOOK_SECRET", {"POSKO_SMS_WEBHOOK_SECRET": GOOD}) == GOOD
    path = tmp_path / "secret"
    path.write_text(GOOD + "\n")
    assert env_secret("POSKO_SMS_WEBHOOK_SECRET",
                      {"POSKO_SMS_WEBHOOK_SECRET_FILE": str(path)}) == GOOD
    with pytest.raises(ConfigError, match="is 5 characters long: use at least 32"):
        env_secret("POSKO_SMS_WEBHOOK_SECRET", {"POSKO_SMS_WEBHOOK_SECRET": "short"})
    with pytest.raises(ConfigError, match="whitespace"):
        env_secret("POSKO_SMS_WEBHOOK_SECRET", {"POSKO_SMS_WEBHOOK_SECRET": GOOD + " x"})
    with pytest.raises(ConfigError, match="whitespace"):
        env_secret("POSKO_SMS_WEBHOOK_SECRET", {"POSKO_SMS_WEBHOOK_SECRET": " " + GOOD})


def test_the_outbound_url_is_http_with_a_host():
    assert env_url("POSKO_SMS_OUTBOUND_URL", "", {}) == ""
    url = "https://gateway.example.go.id/send"
    assert env_url("POSKO_SMS_OUTBOUND_URL", "", {"POSKO_SMS_OUTBOUND_URL": url}) == url
    for bad in ("gateway.example.go.id/send", "ftp://x/y", "https://", "file:///etc/passwd"):
        with pytest.raises(ConfigError, match="is not an http"):
            env_url("POSKO_SMS_OUTBOUND_URL", "", {"POSKO_SMS_OUTBOUND_URL": bad})


def test_the_signature_check():
    body = b'{"id": "1"}'
    assert is_authentic(GOOD, body, {"HTTP_X_POSKO_SIGNATURE": sign(GOOD, body)})
    assert not is_authentic(GOOD, body + b" ", {"HTTP_X_POSKO_SIGNATURE": sign(GOOD, body)})
    assert not is_authentic(GOOD, body, {"HTTP_X_POSKO_SIGNATURE": sign("x" * 32, body)})
    assert is_authentic(GOOD, body, {"HTTP_AUTHORIZATION": f"Bearer {GOOD}"})
    assert not is_authentic(GOOD, body, {"HTTP_AUTHORIZATION": f"Token {GOOD}"})
    assert not is_authentic(None, body, {"HTTP_AUTHORIZATION": "Bearer "})
    assert not is_authentic("", body, {"HTTP_X_POSKO_SIGNATURE": sign("", body)})
    # A wrong signature header is not rescued by a right token.
    assert not is_authentic(GOOD, body, {"HTTP_X_POSKO_SIGNATURE": "sha256=00",
                                         "HTTP_AUTHORIZATION": f"Bearer {GOOD}"})
