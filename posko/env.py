"""Strict parsing of settings from environment variables.

Every reader refuses a bad value with a message naming the variable, the value
and what would be accepted, so a typo in a deployment fails at start-up rather
than as odd behaviour later.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """A setting from the environment has a value Posko refuses."""


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _raw(name: str, environ=None) -> str | None:
    environ = os.environ if environ is None else environ
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE")
    if value is None and file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r}: cannot read the file ({exc}).") from exc
    return value


def env_bool(name: str, default: bool, environ=None) -> bool:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean: use true or false.")


def env_int(name: str, default: int, environ=None, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = _raw(name, environ)
    if value is None or value == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={value!r} must be at least {minimum}.")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name}={value!r} must be at most {maximum}.")
    return number


def env_str(name: str, default: str | None = None, environ=None) -> str | None:
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_list(name: str, default: list[str], environ=None) -> list[str]:
    value = _raw(name, environ)
    if value is None or value.strip() == "":
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ConfigError(f"{name}={value!r} has an empty item: separate values with single commas.")
    return items


def env_networks(name: str, default: list[str], environ=None) -> list[str]:
    """A comma-separated list of IP addresses or CIDR ranges, each checked; returned as
    normalised network strings ("127.0.0.1/32")."""
    networks = []
    for item in env_list(name, default, environ):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or range (e.g. 10.0.0.5 or 10.0.0.0/24)."
            ) from exc
    return networks


def env_secret(name: str, environ=None, *, minimum: int = 32) -> str | None:
    """A shared secret (None when unset): at least ``minimum`` characters, no whitespace, so
    a short or pasted-with-a-space secret fails at start-up."""
    value = _raw(name, environ)
    if value is None or value == "":
        return None
    if value != value.strip() or any(ch.isspace() for ch in value):
        raise ConfigError(f"{name} has whitespace in it: paste the secret alone.")
    if len(value) < minimum:
        raise ConfigError(f"{name} is {len(value)} characters long: use at least {minimum} "
                          f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))').")
    return value


def env_url(name: str, default: str = "", environ=None) -> str:
    """An http(s) URL with a host, or the default (empty: off)."""
    value = env_str(name, None, environ)
    if value is None:
        return default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name}={value!r} is not an http(s) URL with a host.")
    return value


def env_timezone(name: str, default: str, environ=None) -> str:
    value = env_str(name, default, environ)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={value!r} is not a known time zone (e.g. Asia/Jakarta).") from None
    return value


def env_choice(name: str, default: str, choices: list[str], environ=None) -> str:
    value = env_str(name, default, environ)
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def parse_database_url(url: str, *, name: str = "DATABASE_URL") -> dict:
    """Turn ``sqlite:///path`` or ``postgres://user:pw@host:port/db`` into a DATABASES entry."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parsed.path)
        if parsed.netloc:
            raise ConfigError(f"{name}={url!r}: write sqlite:///relative/path or sqlite:////absolute/path.")
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError(f"{name}={url!r}: the SQLite file path is missing.")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # WAL lets readers and one writer work at once; the init command
                # runs once per connection.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parsed.path.lstrip("/"))
        if not db_name:
            raise ConfigError(f"{name}={url!r}: the database name is missing (postgres://user@host:5432/NAME).")
        try:
            port = parsed.port
        except ValueError:
            raise ConfigError(f"{name}={url!r}: the port is not a number.") from None
        options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        conn_max_age = options.pop("conn_max_age", "0")
        try:
            conn_max_age = int(conn_max_age)
        except ValueError:
            raise ConfigError(f"{name}={url!r}: conn_max_age must be a number of seconds.") from None
        health = options.pop("conn_health_checks", "false").strip().lower()
        if health not in _TRUE | _FALSE:
            raise ConfigError(f"{name}={url!r}: conn_health_checks must be true or false.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": health in _TRUE,
            "OPTIONS": options,
        }
    raise ConfigError(
        f"{name}={url!r}: unsupported database; use sqlite:///path/to/file.sqlite3 "
        "or postgres://user:password@host:5432/name."
    )


def persisted_secret_key(data_dir: Path) -> str:
    """A development secret key generated once and kept in the data directory."""
    path = data_dir / "secret_key"
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="utf-8")
    try:
        path.chmod(0o600)
    except OSError:
        pass
    return key


def csp_directives(tile_url: str) -> dict:
    """The Content-Security-Policy (django-csp's DIRECTIVES): everything from Posko itself,
    map tiles from the origin of ``POSKO_MAP_TILE_URL`` if set, no plugins, no framing, forms
    post only to Posko. No inline script, no on* handler, no eval. Style sheets and <style>
    elements only from Posko's files (``style-src-elem``); style attributes are allowed
    (``style-src-attr``: the bar widths and legend colours computed per row; they cannot run
    code and the other directives keep them from loading anything from elsewhere). Browsers
    without those two CSP3 directives fall back to ``style-src``, which keeps inline styles."""
    self, none = "'self'", "'none'"
    images = [self, "data:", "blob:"]
    if tile_url:
        parsed = urlparse(tile_url.replace("{s}", "*").replace("{", "").replace("}", ""))
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ConfigError(f"POSKO_MAP_TILE_URL={tile_url!r} is not an http(s) URL.")
        images.append(f"{parsed.scheme}://{parsed.netloc}")
    return {
        "default-src": [self], "script-src": [self], "style-src": [self, "'unsafe-inline'"],
        "style-src-elem": [self], "style-src-attr": ["'unsafe-inline'"],
        "img-src": images, "font-src": [self], "connect-src": [self], "media-src": [self, "blob:"],
        "object-src": [none], "base-uri": [self], "frame-ancestors": [none],
        "form-action": [self], "report-uri": ["/csp-report/"],
    }
