"""Incident evidence: the served copy has no metadata, the original is kept privately with its
SHA-256 (shown beside the evidence), downloaded only with the personal-data permission and
audited; retention deletes the originals from storage and replaces the free texts."""

from __future__ import annotations

import hashlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from posko.core import retention
from posko.core.models import AuditEntry
from posko.elections import retention as election_retention
from posko.incidents import services
from posko.incidents.models import Comment, Evidence, Report
from tests.incidents_fixtures import category, jpeg_bytes, make_report
from tests.media_fixtures import GPS, PERSON, mp4_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media):
    return sorted(p.name for p in media.rglob("*") if p.is_file()) if media.exists() else []


def english(persona):
    persona.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return persona.client


FILES = {"foto.jpg": jpeg_bytes(), "rekaman.mp4": mp4_bytes(), "surat.pdf": pdf_bytes()}


def report_with_files(world, users):
    uploads = [SimpleUploadedFile(name, data) for name, data in FILES.items()]
    return make_report(world, users["kelurahan_a"], files=uploads, reporter_name="Pak Joko",
                       description=f"{PERSON} membagikan amplop di rumahnya.",
                       location_note="Jl. Melati 7")


def test_served_copy_is_clean_and_the_original_is_kept_with_its_hash(world, users, personas):
    report = report_with_files(world, users)
    rows = {e.original_name: e for e in report.evidence.all()}
    assert set(rows) == set(FILES)
    client = personas["kelurahan_a"].client
    for name, data in FILES.items():
        evidence = rows[name]
        assert evidence.sha256 == hashlib.sha256(data).hexdigest()
        assert evidence.original.open("rb").read() == data
        served = b"".join(client.get(reverse("incidents:evidence_download",
                                             args=[evidence.pk])).streaming_content)
        assert served != data and GPS not in served and PERSON.encode() not in served
        assert b"Exif" not in served
    page = english(personas["kelurahan_a"]).get(report.get_absolute_url()).content.decode()
    for data in FILES.values():
        assert hashlib.sha256(data).hexdigest() in page  # the hash beside the evidence
    photo = rows["foto.jpg"]
    assert reverse("incidents:evidence_download", args=[photo.pk]) in page
    assert reverse("incidents:evidence_original", args=[photo.pk]) not in page  # lurah: no link
    admin_page = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert reverse("incidents:evidence_original", args=[rows["foto.jpg"].pk]) in admin_page


def test_original_download_needs_the_personal_data_permission_and_is_audited(
        world, users, personas):
    report = report_with_files(world, users)
    evidence = report.evidence.get(original_name="rekaman.mp4")
    url = reverse("incidents:evidence_original", args=[evidence.pk])
    assert personas["kelurahan_b"].client.get(url).status_code == 404  # another kelurahan
    assert personas["kelurahan_a"].client.get(url).status_code == 403  # sees the report only
    assert personas["anonymous"].client.get(url).status_code == 302
    assert not AuditEntry.objects.filter(action="export").exists()
    response = personas["admin"].client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == FILES["rekaman.mp4"]
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == users["admin"] and evidence.sha256 in entry.message
    camat = users["kecamatan_a"]
    camat.personal_data_access = True
    camat.save(update_fields=["personal_data_access"])
    assert personas["kecamatan_a"].client.get(url).status_code == 200
    assert AuditEntry.objects.filter(action="export").count() == 2


def test_a_broken_file_stores_nothing(world, users, media):
    with translation.override("en"), pytest.raises(Exception) as exc:
        make_report(world, users["admin"], files=[
            SimpleUploadedFile("foto.jpg", jpeg_bytes()),
            SimpleUploadedFile("surat.pdf", b"%PDF-1.7\n1 0 obj<<>>\n")])
    assert "surat.pdf starts like a PDF but cannot be read as one" in str(exc.value)
    assert not Report.objects.exists() and not Evidence.objects.exists()
    assert stored_files(media) == []


def test_public_report_keeps_the_original_of_its_video(world, client, media):
    from django.core.cache import cache

    cache.clear()
    services.ensure_categories()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("incidents:public_report"), {
        "category": category("politik_uang").pk, "kelurahan": world.kel_a.code,
        "tps_number": "1", "occurred_at": "2024-11-27T08:00", "title": "Serangan fajar",
        "description": "Tim sukses membagikan amplop kepada warga di dekat TPS.",
        "reporter_name": "Siti", "reporter_contact": "0812-0000-1111", "website": "",
        "files": [SimpleUploadedFile("v.mp4", mp4_bytes())]})
    assert response.status_code in (200, 302), response.content.decode()[:500]
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(mp4_bytes()).hexdigest()
    assert GPS not in evidence.file.open("rb").read()
    assert GPS in evidence.original.open("rb").read()


def test_retention_deletes_the_originals_and_replaces_free_texts(world, users, personas,
                                                                media, django_capture_on_commit_callbacks):
    report = report_with_files(world, users)
    Comment.objects.create(report=report, author=users["admin"], text=f"Sudah telepon {PERSON}")
    originals = [e.original.name for e in report.evidence.all()]
    served = [e.file.name for e in report.evidence.all()]
    before = stored_files(media)
    assert len(before) == 6
    # dry-run: counts of files and text fields; nothing changes
    report_rows = {e["key"]: (e["rows"], e["unit"]) for e in election_retention.report(world.election.pk)}
    assert report_rows["incidents.evidence_file"] == (3, "files")
    assert report_rows["incidents.report_text"] == (3, "texts")  # title, description, place
    assert report_rows["incidents.comment_text"] == (1, "texts")
    assert report_rows["incidents.evidence_name"] == (3, "texts")
    totals = election_retention.totals(election_retention.report(world.election.pk))
    assert totals["files"] == 3 and totals["texts"] == 7
    personas["admin"].client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = personas["admin"].client.get(
        reverse("elections:election_retention", args=[world.election.pk])).content.decode()
    assert "3 uploaded files deleted" in page and "7 text fields replaced" in page
    assert stored_files(media) == before
    assert Report.objects.get().description.startswith(PERSON)

    with django_capture_on_commit_callbacks(execute=True):
        done = election_retention.purge(world.election.pk, actor=users["admin"])
    assert done["incidents.evidence_file"] == 3 and done["incidents.report_text"] == 3
    assert stored_files(media) == sorted(name.rsplit("/", 1)[-1] for name in served)
    for name in originals:
        assert not (media / name).exists()
    report.refresh_from_db()
    assert (report.title, report.description, report.location_note) == (retention.REMOVED_TEXT,) * 3
    assert Comment.objects.get().text == retention.REMOVED_TEXT
    assert report.category_id and report.tps_id == world.tps_a.pk  # aggregates stay
    for evidence in Evidence.objects.all():
        assert evidence.original.name == "" and len(evidence.sha256) == 64
        assert evidence.original_name == retention.REMOVED_TEXT
        url = reverse("incidents:evidence_original", args=[evidence.pk])
        assert personas["admin"].client.get(url).status_code == 404
        assert personas["admin"].client.get(
            reverse("incidents:evidence_download", args=[evidence.pk])).status_code == 200
    page = personas["admin"].client.get(report.get_absolute_url()).content.decode()
    assert "original deleted (retention)" in page and PERSON not in page
    # run again: nothing left, nothing written
    with django_capture_on_commit_callbacks(execute=True):
        assert sum(election_retention.purge(world.election.pk, actor=users["admin"]).values()) == 0
