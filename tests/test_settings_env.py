"""Settings refuse bad environment values with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from posko.env import ConfigError, env_bool, env_int, env_list, env_timezone, parse_database_url

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value", ["true", "1", "yes", "ON"])
def test_bool_true(value):
    assert env_bool("DEBUG", False, {"DEBUG": value}) is True


def test_bool_refuses_typos():
    with pytest.raises(ConfigError, match="DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", False, {"DEBUG": "ture"})


def test_int_and_list_and_timezone():
    with pytest.raises(ConfigError, match="POSKO_IMPORT_MAX_BYTES='10MB' is not a whole number"):
        env_int("POSKO_IMPORT_MAX_BYTES", 1, {"POSKO_IMPORT_MAX_BYTES": "10MB"})
    with pytest.raises(ConfigError, match="empty item"):
        env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a.go.id,,b.go.id"})
    with pytest.raises(ConfigError, match="not a known time zone"):
        env_timezone("TIME_ZONE", "Asia/Jakarta", {"TIME_ZONE": "Asia/Malang"})
    assert env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a.go.id, b.go.id"}) == ["a.go.id", "b.go.id"]


def test_file_variant(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x" * 40 + "\n")
    from posko.env import env_str

    assert env_str("SECRET_KEY", None, {"SECRET_KEY_FILE": str(secret)}) == "x" * 40


def test_database_urls():
    sqlite = parse_database_url("sqlite:////var/lib/posko/db.sqlite3")
    assert sqlite["NAME"] == "/var/lib/posko/db.sqlite3"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    pg = parse_database_url("postgres://posko:p%40ss@db.local:5433/posko?conn_max_age=60&sslmode=require")
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "posko", "p@ss", "db.local", "5433", "posko")
    assert pg["CONN_MAX_AGE"] == 60 and pg["OPTIONS"] == {"sslmode": "require"}
    assert pg["CONN_HEALTH_CHECKS"] is False
    kept = parse_database_url("postgres://h/posko?conn_max_age=60&conn_health_checks=true")
    assert kept["CONN_HEALTH_CHECKS"] is True and kept["OPTIONS"] == {}
    for bad, message in [("mysql://x/y", "unsupported database"), ("postgres://h:5432/", "name is missing"),
                         ("postgres://h:port/db", "port is not a number"),
                         ("postgres://h/db?conn_health_checks=maybe",
                          "conn_health_checks must be true or false"),
                         ("postgres://h/db?conn_max_age=lama", "conn_max_age must be a number")]:
        with pytest.raises(ConfigError, match=message):
            parse_database_url(bad)


def _start(env):
    """Run `posko check` in a fresh process with only ``env`` as configuration."""
    base = {k: v for k, v in os.environ.items()
            if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = _start({"DEBUG": "false", "POSKO_DATA_DIR": str(tmp_path), "ALLOWED_HOSTS": "x.go.id"})
    assert result.returncode == 2
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_value_refuses_to_start_with_clear_message(tmp_path):
    result = _start({"DEBUG": "maybe", "POSKO_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "DEBUG='maybe' is not a boolean" in result.stderr


def test_development_secret_is_generated_and_kept(tmp_path):
    assert _start({"DEBUG": "true", "POSKO_DATA_DIR": str(tmp_path)}).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 40
    assert _start({"DEBUG": "true", "POSKO_DATA_DIR": str(tmp_path)}).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


@pytest.mark.parametrize("url, expected", [
    ("postgres://postgres@127.0.0.1:5432/mydb", ("127.0.0.1", 5432, "test_mydb")),
    ("postgres://ci:pw@db.internal:6543/posko_ci", ("db.internal", 6543, "test_posko_ci")),
])
def test_the_test_database_follows_the_url(url, expected):
    """POSKO_TEST_POSTGRES_URL=…/mydb python3 dev.py test runs on test_mydb, on the URL's
    server (not always 127.0.0.1:5432), and tests/settings.py names the same database."""
    sys.path.insert(0, str(ROOT))
    try:
        import dev
    finally:
        sys.path.remove(str(ROOT))
    assert dev.pg_target(url) == expected
    code = ("import django; django.setup(); from django.db import connection; "
            "print(connection.creation._get_test_db_name())")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == expected[2]
