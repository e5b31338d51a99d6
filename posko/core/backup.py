"""Backups of the database and the uploads in one file, and their verification.

A backup is one tar file ``posko-backup-<timestamp>.tar`` holding:

- ``manifest.json``: when, which engine, the row count of every table and the audit log's
  last entry, read in the same snapshot as the dump, and the SHA-256 of every file;
- ``database.sqlite3`` (SQLite's online backup: safe while Posko runs) or ``database.dump``
  (``pg_dump -Fc`` on the snapshot the counts were read from);
- ``media/…``: the uploads (attachments, photos, evidence).

``verify()`` restores the database into a scratch database (a temporary SQLite file, or a
new PostgreSQL database that is dropped afterwards) and compares every table's row count and
the audit log's last entry with the manifest; the uploads are checked against their hashes.
``restore()`` puts a backup back into the configured database and media folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = 1
AUDIT_TABLE = "core_auditentry"


class BackupError(Exception):
    """A backup could not be made, read, verified or restored; the message says why."""


@dataclass
class Verification:
    tables: int = 0
    rows: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(cursor, tables) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _last_audit(cursor) -> dict | None:
    cursor.execute(f"SELECT id, timestamp, action FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1")
    row = cursor.fetchone()
    return None if row is None else {"id": row[0], "timestamp": str(row[1]), "action": row[2]}


def _pg_env(db: dict, name: str | None = None) -> tuple[list[str], dict]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args + ["-d", name or db["NAME"]], env


def _run(command: list[str], env: dict) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client).")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")


def _dump_database(work: Path) -> tuple[str, dict[str, int], dict | None]:
    """Write the database into ``work`` and read the counts in the same snapshot."""
    connection.ensure_connection()
    tables = connection.introspection.table_names()
    if connection.vendor == "sqlite":
        target = work / "database.sqlite3"
        raw = connection.connection
        cursor = raw.cursor()
        cursor.execute("BEGIN")
        try:
            counts, last = _counts(cursor, tables), _last_audit(cursor)
            with sqlite3.connect(target) as copy:
                raw.backup(copy)
            copy.close()
        finally:
            cursor.execute("COMMIT")
        return target.name, counts, last
    if connection.vendor == "postgresql":
        target = work / "database.dump"
        args, env = _pg_env(connection.settings_dict)
        with connection.cursor() as cursor:
            # One snapshot for the counts and pg_dump: they describe the same data.
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                counts, last = _counts(cursor, tables), _last_audit(cursor)
                _run(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target),
                      *args], env)
            finally:
                cursor.execute("ROLLBACK")
        return target.name, counts, last
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def create(output_dir: Path) -> Path:
    """Make a backup file in ``output_dir``; returns its path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    path = output_dir / f"posko-backup-{stamp}.tar"
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="posko-backup-") as tmp:
        work = Path(tmp)
        db_file, counts, last = _dump_database(work)
        files = {db_file: _sha256(work / db_file)}
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
        for item in media_files:
            files["media/" + item.relative_to(media).as_posix()] = _sha256(item)
        manifest = {"format": FORMAT, "created_at": timezone.now().isoformat(),
                    "engine": connection.vendor, "database": db_file, "tables": counts,
                    "audit_last": last, "files": files}
        partial = path.with_suffix(".tar.part")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / db_file, arcname=db_file)
            for item in media_files:
                tar.add(item, arcname="media/" + item.relative_to(media).as_posix())
        partial.rename(path)  # a half-written backup never looks like a finished one
    return path


def _open(path: Path, into: Path) -> dict:
    """Extract the backup into ``into`` (refusing paths that leave it) and read its manifest."""
    try:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():  # Python < 3.11.4 has no extraction filter
                target = (into / member.name).resolve()
                if not (member.isfile() or member.isdir()) or not target.is_relative_to(into):
                    raise BackupError(f"{path}: unexpected entry {member.name!r}.")
            tar.extractall(into)  # noqa: S202 - every member was checked above
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a readable Posko backup: {exc}") from exc
    try:
        manifest = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} has no readable manifest.json.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}.")
    return manifest


def _check_files(into: Path, manifest: dict, result: Verification) -> None:
    for name, digest in manifest["files"].items():
        item = into / name
        if not item.is_file():
            result.problems.append(f"file missing: {name}")
        elif _sha256(item) != digest:
            result.problems.append(f"file changed (SHA-256 differs): {name}")
        elif name.startswith("media/"):
            result.files += 1


def _compare(counts: dict[str, int], last: dict | None, manifest: dict,
             result: Verification) -> None:
    for table, expected in manifest["tables"].items():
        found = counts.get(table)
        if found != expected:
            result.problems.append(f"{table}: {found} rows restored, {expected} backed up")
    result.tables, result.rows = len(counts), sum(counts.values())
    if last != manifest["audit_last"]:
        result.problems.append(f"last audit entry differs: {last} != {manifest['audit_last']}")


def verify(path: Path) -> Verification:
    """Restore ``path`` into a scratch database and compare it with its manifest."""
    result = Verification()
    with tempfile.TemporaryDirectory(prefix="posko-verify-") as tmp:
        into = Path(tmp).resolve()
        manifest = _open(path, into)
        _check_files(into, manifest, result)
        tables = list(manifest["tables"])
        if manifest["engine"] == "sqlite":
            with sqlite3.connect(into / manifest["database"]) as scratch:
                cursor = scratch.cursor()
                _compare(_counts(cursor, tables), _last_audit(cursor), manifest, result)
            scratch.close()
        elif manifest["engine"] == "postgresql":
            _verify_postgres(into / manifest["database"], tables, manifest, result)
        else:
            raise BackupError(f"Unknown engine in the manifest: {manifest['engine']!r}.")
    return result


def _verify_postgres(dump: Path, tables, manifest: dict, result: Verification) -> None:
    db = connection.settings_dict
    scratch = f"posko_verify_{os.getpid()}_{int(timezone.now().timestamp())}"
    admin_args, env = _pg_env(db)
    conninfo = {"host": db.get("HOST") or "127.0.0.1", "port": db.get("PORT") or 5432,
                "user": db.get("USER") or "postgres", "password": db.get("PASSWORD") or None}
    with psycopg.connect(dbname=db["NAME"], autocommit=True, **conninfo) as admin:
        admin.execute(f"CREATE DATABASE {scratch}")
    try:
        args, env = _pg_env(db, scratch)
        _run(["pg_restore", "--no-owner", "--exit-on-error", *args, str(dump)], env)
        with psycopg.connect(dbname=scratch, **conninfo) as restored:
            cursor = restored.cursor()
            _compare(_counts(cursor, tables), _last_audit(cursor), manifest, result)
    finally:
        with psycopg.connect(dbname=db["NAME"], autocommit=True, **conninfo) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")


def restore(path: Path) -> Verification:
    """Replace the configured database and media folder with the backup's. The media folder
    that was there is kept beside it as ``media.before-restore-<timestamp>``."""
    result = Verification()
    with tempfile.TemporaryDirectory(prefix="posko-restore-") as tmp:
        into = Path(tmp).resolve()
        manifest = _open(path, into)
        _check_files(into, manifest, result)
        if result.problems:
            raise BackupError("The backup is damaged: " + "; ".join(result.problems))
        if manifest["engine"] != connection.vendor:
            raise BackupError(f"This backup is of a {manifest['engine']} database; Posko is "
                              f"configured for {connection.vendor}.")
        dump = into / manifest["database"]
        connection.ensure_connection()
        if connection.vendor == "sqlite":
            with sqlite3.connect(dump) as source:
                source.backup(connection.connection)
            source.close()
        else:
            args, env = _pg_env(connection.settings_dict)
            connection.close()
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  "--exit-on-error", *args, str(dump)], env)
        media = Path(settings.MEDIA_ROOT)
        if (into / "media").is_dir() or media.exists():
            if media.exists():
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                media.rename(media.with_name(f"{media.name}.before-restore-{stamp}"))
            if (into / "media").is_dir():
                shutil.copytree(into / "media", media)
        with connection.cursor() as cursor:
            _compare(_counts(cursor, list(manifest["tables"])), _last_audit(cursor), manifest,
                     result)
        result.files = sum(1 for name in manifest["files"] if name.startswith("media/"))
    return result
