"""Retention deletes the uploaded files that hold personal data (outreach attendance sheets,
C.Hasil originals with the photographer's GPS) after commit; the dry-run lists them and
changes nothing; what is served and the hashes stay."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from posko.elections import retention as election_retention
from posko.outreach import services
from posko.outreach.models import Activity, Attachment
from posko.voting.services import evidence
from tests.media_fixtures import pdf_bytes
from tests.outreach_fixtures import PAST, group, png
from tests.test_voting_evidence import gps_jpeg
from tests.voting_fixtures import make_contests

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def files(media):
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()}


def counts(world):
    return {e["key"]: e["rows"] for e in election_retention.report(world.election.pk)
            if e["unit"] == "files"}


def test_attendance_sheets_and_chasil_originals_are_deleted_and_the_rest_stays(
        world, users, personas, django_capture_on_commit_callbacks, media):
    activity = services.save_activity(
        Activity(election=world.election, kind=Activity.Kind.TATAP_MUKA, title="Sosialisasi",
                 status=Activity.Status.HELD, starts_at=PAST, kelurahan_id=world.kel_a.code,
                 organiser_kind=Activity.OrganiserKind.KELURAHAN, attendance=50),
        [group("pemilih-pemula")], actor=users["kelurahan_a"], photos=[png()],
        sheets=[SimpleUploadedFile("daftar hadir.pdf", pdf_bytes())])
    [contest] = make_contests(world, "walikota")
    photo = evidence.add_photo(world.tps_a, contest, actor=users["kelurahan_a"],
                               election=world.election, source="pemda", page=1,
                               upload=SimpleUploadedFile("c.jpg", gps_jpeg()))
    sheet = activity.attachments.get(kind=Attachment.Kind.ATTENDANCE_SHEET)
    picture = activity.attachments.get(kind=Attachment.Kind.PHOTO)
    election_retention.for_election(world.election)
    before = files(media)
    assert {sheet.file.name, picture.file.name, photo.original.name, photo.image.name} <= before

    assert counts(world)["outreach.attendance_file"] == 1
    assert counts(world)["voting.photo_original"] == 1
    assert files(media) == before  # the dry-run deletes nothing

    with django_capture_on_commit_callbacks(execute=True):
        done = election_retention.purge(world.election.pk, actor=users["admin"])
    assert done["outreach.attendance_file"] == 1 and done["voting.photo_original"] == 1
    assert files(media) == before - {sheet.file.name, photo.original.name}
    sheet.refresh_from_db()
    photo.refresh_from_db()
    assert sheet.file.name == "" and sheet.original_name  # the row and its name stay
    assert photo.original.name == "" and len(photo.sha256) == 64 and photo.image.name
    assert counts(world)["outreach.attendance_file"] == 0
    client = personas["admin"].client
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("voting:tps", args=[world.tps_a.pk])).content.decode()
    assert "original deleted (retention)" in page
    assert reverse("voting:photo_original", args=[photo.pk]) not in page
    assert client.get(reverse("voting:photo_original", args=[photo.pk])).status_code == 404
    assert client.get(reverse("voting:photo", args=[photo.pk])).status_code == 200
    # The activity names the deleted sheet without a link that would answer 404
    page = client.get(activity.get_absolute_url()).content.decode()
    assert "daftar hadir.pdf" in page and "file deleted: retention" in page
    assert sheet.get_absolute_url() not in page
    assert picture.get_absolute_url() in page  # the photo stays


def test_a_rolled_back_purge_deletes_no_file(world, users, media):
    """Files go only after commit: without the commit callbacks running, nothing is deleted."""
    [contest] = make_contests(world, "walikota")
    photo = evidence.add_photo(world.tps_a, contest, actor=users["kelurahan_a"],
                               election=world.election, source="pemda", page=1,
                               upload=SimpleUploadedFile("c.jpg", gps_jpeg()))
    election_retention.for_election(world.election)
    before = files(media)
    election_retention.purge(world.election.pk, actor=users["admin"])  # never committed here
    assert files(media) == before and photo.original.name in before
