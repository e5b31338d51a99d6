#!/usr/bin/env python3
"""Set-up and checks for a fresh machine with only Python 3.11+.

    python3 dev.py demo      build the Kota Malang demo and serve it on http://127.0.0.1:8000/
                             (arguments go to `posko demo`, e.g. --as-of 2024-11-27T20:00)
    python3 dev.py test      lint, checks, the suite on SQLite and PostgreSQL, and browser tests

Both create ./.venv and install Posko into it on first use (and again when
pyproject.toml changes). `.ci/run` calls `python3 dev.py test`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PY = BIN / "python"
# Every dependency, pinned with hashes (`uv pip compile pyproject.toml --generate-hashes
# --universal --python-version 3.11 [--extra dev]`; see docs/development/dependencies.md).
LOCK = ROOT / "requirements" / "lock.txt"
LOCK_DEV = ROOT / "requirements" / "lock-dev.txt"
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The PostgreSQL server of the test run; pytest-django creates and drops the database
# test_<name> there (postgres://postgres@127.0.0.1:5432/posko -> test_posko), so two
# checkouts on one server choose different names.
PG_URL = os.environ.get("POSKO_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/posko")


def say(message: str) -> None:
    print(f"\n==> {message}", flush=True)


def run(*args, env=None, check=True) -> int:
    merged = {**os.environ, **(env or {})}
    code = subprocess.call([str(a) for a in args], cwd=ROOT, env=merged)
    if check and code != 0:
        print(f"\nFAILED ({code}): {' '.join(str(a) for a in args)}", flush=True)
        sys.exit(code)
    return code


def ensure_venv(extras: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on any python3
        sys.exit("Posko needs Python 3.11 or newer.")
    if not PY.exists():
        say("Creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed{extras or '-base'}"
    lock = LOCK_DEV if extras else LOCK
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"Installing Posko and its locked dependencies ({lock.relative_to(ROOT)}) into .venv")
    pip = [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, "--upgrade", "pip")
    # Every dependency at the locked version with its hash checked; then Posko itself.
    run(*pip, "--require-hashes", "-r", lock)
    target = f".[{extras}]" if extras else "."
    run(*pip, "--no-deps", "-e", target)
    stamp.write_text(digest)


def audit_dependencies() -> None:
    """pip-audit over the locked dependencies (PyPI's advisory data): a known vulnerability
    fails the run, in CI and outside it. When PyPI's JSON API cannot be reached (some
    networks, including this project's build machines, serve only the package index) nothing
    can be audited: that is said loudly and does not fail the run."""
    done = subprocess.run([str(BIN / "pip-audit"), "--requirement", str(LOCK_DEV),
                           "--require-hashes", "--disable-pip", "--strict",
                           "--progress-spinner", "off"], cwd=ROOT, capture_output=True, text=True)
    output = done.stdout + done.stderr
    print(output.strip()[-3000:], flush=True)
    if done.returncode == 0:
        return
    if "known vulnerabilit" in output and "No known vulnerabilities" not in output:
        sys.exit("pip-audit: a locked dependency has a known vulnerability (see above): upgrade "
                 "it in pyproject.toml and regenerate the lock files.")
    print("\n!! pip-audit could not audit the dependencies (PyPI's vulnerability data is not "
          "reachable from here): the audit was SKIPPED.", flush=True)


def demo(args: list[str]) -> None:
    ensure_venv()
    os.chdir(ROOT)
    os.execv(str(BIN / "posko"), [str(BIN / "posko"), "demo", *args])


# --- PostgreSQL ------------------------------------------------------------------

def pg_target(url: str) -> tuple[str, int, str]:
    """Host, port and test database of a postgres:// URL: the test database is the URL's
    name with test_ in front (Django's default, made explicit in tests/settings.py)."""
    parsed = urlparse(url)
    name = unquote(parsed.path.lstrip("/")) or "posko"
    return parsed.hostname or "127.0.0.1", parsed.port or 5432, f"test_{name}"


def _port_open(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        import socket

        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def ensure_postgres(url: str = PG_URL) -> bool:
    host, port, _ = pg_target(url)
    if _port_open(host, port):
        return True
    clusters = Path("/etc/postgresql")
    local = host in {"127.0.0.1", "localhost", "::1"}
    if local and shutil.which("pg_ctlcluster") and clusters.is_dir():
        for version in sorted(p.name for p in clusters.iterdir()):
            say(f"Starting PostgreSQL {version}")
            subprocess.call(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
        for _ in range(30):
            if _port_open(host, port):
                return True
            time.sleep(1)
    return False


# --- Redis (the RQ end-to-end test) ---------------------------------------------------

REDIS_URL = os.environ.get("POSKO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def ensure_redis() -> bool:
    """Redis on 127.0.0.1:6379 for the RQ worker test: started (installed as root if missing)
    the way the machine's own start-up does it."""
    if _port_open("127.0.0.1", 6379):
        return True
    if not shutil.which("redis-server") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installing Debian's redis-server for the RQ worker test")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env, check=False)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "redis-server", env=env,
            check=False)
    if shutil.which("redis-server"):
        say("Starting Redis")
        for folder in ("/var/lib/redis", "/var/log/redis"):
            Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.call(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                         "--port", "6379", "--save", "", "--appendonly", "no",
                         "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"])
        for _ in range(20):
            if _port_open("127.0.0.1", 6379):
                return True
            time.sleep(0.5)
    return False


# --- Chromium for the browser tests ----------------------------------------------------

def find_chromium() -> str | None:
    for name in (os.environ.get("POSKO_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    return None


def ensure_chromium() -> str | None:
    path = find_chromium()
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installing Debian's chromium for the browser tests")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env, check=False)
        run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-dejavu-core",
            env=env, check=False)
    return find_chromium()


def test(args: list[str]) -> None:
    ensure_venv("dev")
    pytest = [PY, "-m", "pytest", "--durations=15", *args]  # the slowest tests, in every log
    settings = {"DJANGO_SETTINGS_MODULE": "tests.settings", "DEBUG": "true",
                "SECRET_KEY": "dev-check-secret-key-long-enough-0123456789abcdef"}
    say("ruff")
    run(BIN / "ruff", "check", "posko", "tests", "bench", "dev.py")
    say("pip-audit (known vulnerabilities in the locked dependencies)")
    audit_dependencies()
    say("manage.py check and makemigrations --check")
    run(PY, "manage.py", "check", env=settings)
    run(PY, "manage.py", "makemigrations", "--check", "--dry-run", env=settings)

    redis = REDIS_URL if ensure_redis() else ""
    if not redis and CI:
        sys.exit("Redis is not reachable on 127.0.0.1:6379 and could not be started.")
    say("Test suite on SQLite")
    run(*pytest, env={"DATABASE_URL": "", "POSKO_TEST_REDIS_URL": redis})

    host, port, test_database = pg_target(PG_URL)
    if ensure_postgres(PG_URL):
        say(f"Test suite on PostgreSQL ({host}:{port}, test database {test_database})")
        run(*pytest, env={"DATABASE_URL": PG_URL, "POSKO_TEST_REDIS_URL": redis})
    elif CI:
        sys.exit(f"PostgreSQL is not reachable on {host}:{port} and could not be started.")
    else:
        print(f"\n!! PostgreSQL not reachable on {host}:{port}: the PostgreSQL run was SKIPPED "
              "(CI requires it).")

    chromium = ensure_chromium()
    if chromium:
        say(f"Browser tests (Playwright + {chromium})")
        run(*[*pytest[:4], "-m", "browser", "tests/browser"], env={"POSKO_CHROMIUM": chromium})
    elif CI:
        sys.exit("chromium is not installed and could not be installed: browser tests cannot run.")
    else:
        print("\n!! chromium not found: browser tests SKIPPED (install Debian's chromium package).")
    say("All checks passed")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        print(__doc__)
        sys.exit(2)
    command, args = sys.argv[1], sys.argv[2:]
    (demo if command == "demo" else test)(args)


if __name__ == "__main__":
    main()
