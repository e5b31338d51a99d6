"""What every benchmark needs: Django set up on a database of its own, fresh
PostgreSQL databases, a timer and a uniform way to print figures."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def default_postgres_url(tag: str = "") -> str:
    """POSKO_BENCH_DATABASE_URL, else a local database named for this benchmark and
    process (posko_bench_<tag>_<pid>), so benchmarks run at the same time never share one:
    each drops and recreates its database."""
    name = f"posko_bench_{tag}_{os.getpid()}" if tag else f"posko_bench_{os.getpid()}"
    return os.environ.get("POSKO_BENCH_DATABASE_URL") or f"{POSTGRES_SERVER}/{name}"


def sqlite_url(directory: str | Path | None = None) -> str:
    directory = Path(directory or tempfile.mkdtemp(prefix="posko-bench-"))
    return f"sqlite:///{directory / 'bench.sqlite3'}"


def setup_django(database_url: str) -> None:
    """Configure Django on ``database_url`` (once per process) with development settings.

    Query logging is switched off after set-up: with DEBUG on, Django would format and
    keep every SQL statement, which is not what a deployment pays for."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from django.conf import settings

    if settings.configured:  # a second call in the same process: only the same database
        from posko.env import parse_database_url

        wanted = parse_database_url(database_url)
        current = settings.DATABASES["default"]
        if (current["ENGINE"], current["NAME"], current.get("HOST", "")) != (
                wanted["ENGINE"], wanted["NAME"], wanted.get("HOST", "")):
            raise RuntimeError(f"Django is already set up on {current['NAME']}; "
                               f"use a new process for {database_url}")
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = "posko.settings"
    os.environ["DEBUG"] = "true"
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("POSKO_DATA_DIR", tempfile.mkdtemp(prefix="posko-bench-data-"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    settings.DEBUG = False  # no query log (see above)


def migrate() -> float:
    """Apply all migrations quietly; seconds taken."""
    from django.core.management import call_command

    with timer() as elapsed:
        call_command("migrate", interactive=False, verbosity=0)
    return elapsed()


def _maintenance_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name:
        raise SystemExit(f"{url}: no database name")
    return urlunparse(parsed._replace(path="/postgres", query="")), name


def _admin_connection(url: str):
    import psycopg

    maintenance, _ = _maintenance_url(url)
    return psycopg.connect(maintenance, autocommit=True)


def fresh_postgres(url: str) -> None:
    """Drop (if present) and create the database named in ``url``."""
    from psycopg import sql

    _, name = _maintenance_url(url)
    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres(url: str) -> None:
    from psycopg import sql

    _, name = _maintenance_url(url)
    with _admin_connection(url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def timer():
    """``with timer() as elapsed: ...`` then ``elapsed()`` gives the seconds (frozen at exit)."""
    start = time.perf_counter()
    end = None

    def elapsed() -> float:
        return (end if end is not None else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline > 0 else "n/a"


def figure(label: str, value: str) -> None:
    print(f"  {label:<48} {value}", flush=True)


def run_on_fresh_postgres(argv, description: str, tag: str, title: str, run) -> int:
    """The main of a bench on its own PostgreSQL database: ``--database-url`` (default one
    per ``tag``) and ``--keep``; a fresh database, Django set up and migrated, ``run()``, the
    database dropped afterwards unless kept."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=default_postgres_url(tag))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = args.database_url
    fresh_postgres(url)
    setup_django(url)
    print(f"{title} on {url}", flush=True)
    figure("migrate", f"{migrate():.1f} s")
    try:
        return run()
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_postgres(url)
