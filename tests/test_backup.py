"""`posko backup` and `posko restore`: one file with the database and the uploads, verified by
restoring it into a scratch database and comparing row counts and the last audit entry."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from posko.core import audit
from posko.core.models import AuditEntry
from posko.elections.models import Tps

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    (root / "bukti").mkdir(parents=True)
    (root / "bukti" / "foto.jpg").write_bytes(b"\xff\xd8 foto bukti \xff\xd9")
    with override_settings(MEDIA_ROOT=root):
        yield root


def _backup(tmp_path, *extra) -> tuple[str, str]:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), *extra, stdout=out)
    path = next((tmp_path / "backups").glob("posko-backup-*.tar"))
    return str(path), out.getvalue()


def test_backup_holds_the_database_and_uploads_and_verifies(world, users, media, tmp_path):
    audit.record("update", actor=users["admin"], obj=world.tps_a, message="sebelum backup")
    path, output = _backup(tmp_path, "--verify")
    assert "Verified:" in output and "match the manifest" in output
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "media/bukti/foto.jpg" in names
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["elections_tps"] == Tps.objects.count() == 4
    last = AuditEntry.objects.order_by("-id").first()
    assert manifest["audit_last"]["id"] == last.pk


def test_a_damaged_backup_fails_verification(world, media, tmp_path):
    path, _ = _backup(tmp_path)
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(path) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "media/bukti/foto.jpg":
                data = b"diganti"
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Verification FAILED"):
        call_command("restore", str(damaged), "--verify-only", stderr=err)
    assert "file changed (SHA-256 differs): media/bukti/foto.jpg" in err.getvalue()
    # And restoring it is refused before anything is replaced.
    with pytest.raises(CommandError, match="The backup is damaged"):
        call_command("restore", str(damaged), "--yes")
    assert Tps.objects.count() == 4


def test_restore_puts_back_what_was_lost(world, users, media, tmp_path):
    path, _ = _backup(tmp_path)
    Tps.objects.filter(pk=world.tps_b.pk).delete()
    (media / "bukti" / "foto.jpg").unlink()
    with pytest.raises(CommandError, match="run again with --yes"):
        call_command("restore", path)
    assert Tps.objects.count() == 3  # nothing replaced without --yes
    out = io.StringIO()
    call_command("restore", path, "--yes", stdout=out)
    assert "the last audit entry matches" in out.getvalue()
    assert Tps.objects.filter(pk=world.tps_b.pk).exists()
    assert (media / "bukti" / "foto.jpg").read_bytes() == b"\xff\xd8 foto bukti \xff\xd9"
    assert list(media.parent.glob("media.before-restore-*"))  # the old folder is kept aside


def test_not_a_backup_is_refused_clearly(tmp_path):
    bogus = tmp_path / "bukan.tar"
    bogus.write_bytes(b"ini bukan arsip")
    with pytest.raises(CommandError, match="is not a readable Posko backup"):
        call_command("restore", str(bogus), "--verify-only")
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "tidak-ada.tar"), "--yes")
