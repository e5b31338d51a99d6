"""Resumable uploads (issue 18, core.resumable): a big photo sent in chunks, an out-of-order
chunk answered with the current offset, the SHA-256 checked when the file completes, the
completed upload used by the C.Hasil photo endpoint, another user's upload a 404, expired
sessions purged, the size cap."""

from __future__ import annotations

import hashlib
import io
import random
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation
from PIL import Image
from rest_framework.test import APIClient

from posko.core import jobs, resumable
from posko.core.models import UploadSession
from posko.voting.models import ResultPhoto
from tests.voting_fixtures import make_contests

pytestmark = pytest.mark.django_db
URL = "/api/v1/uploads/"


@pytest.fixture(autouse=True)
def private_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.POSKO_RESUMABLE_DIR = tmp_path / "resumable"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def api(users):
    return client_for(users["kelurahan_a"])


def big_jpeg() -> bytes:
    """A noisy picture, so it does not compress below a few chunks."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (200, 150), bytes(rng.randrange(256) for _ in range(90000)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def start(api, data: bytes, sha: str | None = None):
    response = api.post(URL, {"size": len(data), "name": "c-hasil.jpg",
                              "sha256": sha or hashlib.sha256(data).hexdigest()}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def patch(api, url, offset, chunk):
    return api.generic("PATCH", url, chunk, content_type=resumable.CHUNK_TYPE,
                       HTTP_UPLOAD_OFFSET=str(offset))


def test_chunks_resume_and_the_photo_endpoint_takes_the_upload(
        api, world, django_capture_on_commit_callbacks):
    (contest,) = make_contests(world, "walikota")
    data = big_jpeg()
    sha = hashlib.sha256(data).hexdigest()
    session = start(api, data)
    url = session["url"]
    assert session["offset"] == 0 and url == f"{URL}{session['id']}/"
    third = len(data) // 3
    parts = [data[:third], data[third:2 * third], data[2 * third:]]

    first = patch(api, url, 0, parts[0])
    assert first.status_code == 200 and first.json()["offset"] == third
    # the connection dropped; the phone sends the third chunk first: told where to go on
    wrong = patch(api, url, 2 * third, parts[2])
    assert wrong.status_code == 409
    assert wrong.json()["offset"] == third and wrong["Upload-Offset"] == str(third)
    asked = api.head(url)
    assert asked.status_code == 200 and asked["Upload-Offset"] == str(third)
    assert api.get(url).json()["complete"] is False
    assert patch(api, url, third, parts[1]).json()["offset"] == 2 * third
    last = api.generic("PATCH", url, parts[2], content_type="application/octet-stream",
                       HTTP_CONTENT_RANGE=f"bytes {2 * third}-{len(data) - 1}/{len(data)}")
    assert last.status_code == 200 and last.json()["complete"] is True

    key = str(uuid.uuid4())
    photo_url = f"/api/v1/voting/tps/{world.tps_a.pk}/photos/"
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(photo_url, {"contest": contest.pk, "upload": session["id"]},
                           format="multipart", HTTP_IDEMPOTENCY_KEY=key,
                           HTTP_X_CONTENT_SHA256=sha)
    assert created.status_code == 201, created.content
    assert created.json()["sha256"] == sha
    assert ResultPhoto.objects.get().sha256 == sha
    assert not UploadSession.objects.exists()
    assert list((settings.POSKO_RESUMABLE_DIR).iterdir()) == []
    # the phone did not hear the answer and sends the form again: the same photo, replayed
    again = api.post(photo_url, {"contest": contest.pk, "upload": session["id"]},
                     format="multipart", HTTP_IDEMPOTENCY_KEY=key, HTTP_X_CONTENT_SHA256=sha)
    assert again.status_code == 201 and again.json() == created.json()
    assert ResultPhoto.objects.count() == 1


def test_a_damaged_upload_is_a_422_and_starts_again(api, world):
    (contest,) = make_contests(world, "walikota")
    data = big_jpeg()
    session = start(api, data, sha="0" * 64)
    response = patch(api, session["url"], 0, data)
    assert response.status_code == 422
    assert "arrived damaged" in response.json()["detail"]
    assert api.get(session["url"]).json()["offset"] == 0  # reset: sent again from 0
    taken = api.post(f"/api/v1/voting/tps/{world.tps_a.pk}/photos/",
                     {"contest": contest.pk, "upload": session["id"]}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert taken.status_code == 400 and "not complete" in str(taken.json())
    assert ResultPhoto.objects.count() == 0
    assert UploadSession.objects.count() == 1


def test_another_users_upload_is_a_404(api, users, world):
    (contest,) = make_contests(world, "walikota")
    data = big_jpeg()
    session = start(api, data)
    patch(api, session["url"], 0, data)
    other = client_for(users["kelurahan_b"])
    assert other.get(session["url"]).status_code == 404
    assert patch(other, session["url"], 0, b"x").status_code == 404
    taken = other.post(f"/api/v1/voting/tps/{world.tps_b.pk}/photos/",
                       {"contest": contest.pk, "upload": session["id"]}, format="multipart",
                       HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert taken.status_code == 404
    assert ResultPhoto.objects.count() == 0 and UploadSession.objects.count() == 1
    assert APIClient().get(session["url"]).status_code in (401, 403)


def test_size_cap_and_bad_requests(api, settings):
    settings.POSKO_ATTACHMENT_MAX_BYTES = 1024 * 1024
    too_big = api.post(URL, {"size": 1024 * 1024 + 1, "name": "x.jpg", "sha256": "a" * 64},
                       format="json")
    assert too_big.status_code == 400 and "too large" in str(too_big.json()["size"])
    assert not UploadSession.objects.exists()
    session = start(api, b"12345")
    assert patch(api, session["url"], 0, b"123456").status_code == 400  # past the size
    no_offset = api.generic("PATCH", session["url"], b"1", content_type=resumable.CHUNK_TYPE)
    assert no_offset.status_code == 400
    assert api.get(session["url"]).json()["offset"] == 0
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4  # a chunk over it is refused before it is read
    huge = patch(api, session["url"], 0, b"12345")
    assert huge.status_code == 400 and "at most 4 bytes" in huge.json()["detail"]
    assert api.get(session["url"]).json()["offset"] == 0
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
    for _ in range(resumable.MAX_OPEN - 1):
        start(api, b"1")
    refused = api.post(URL, {"size": 1, "name": "x.jpg", "sha256": "a" * 64}, format="json")
    assert refused.status_code == 400 and "Too many unfinished uploads" in refused.json()["detail"]
    assert UploadSession.objects.count() == resumable.MAX_OPEN


def test_expired_sessions_are_purged(api):
    session = start(api, b"12345")
    patch(api, session["url"], 0, b"12")
    UploadSession.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert api.get(session["url"]).status_code == 404  # expired: gone for the phone too
    kept = start(api, b"678")
    with translation.override("en"):  # the hourly purge job does it
        assert "1 expired resumable uploads deleted." in jobs.purge_job(None)
    assert list(UploadSession.objects.values_list("pk", flat=True)) == [uuid.UUID(kept["id"])]
    assert [p.name for p in settings.POSKO_RESUMABLE_DIR.iterdir()] == [
        f"{uuid.UUID(kept['id']).hex}.part"]


def test_the_field_app_token_names_the_chunking(client, users, settings):
    settings.POSKO_FIELDAPP_CHUNKED_OVER_BYTES = 300 * 1024
    client.force_login(users["kelurahan_a"])
    uploads = client.get("/lapangan/token/").json()["uploads"]
    assert uploads == {"url": URL, "over": 300 * 1024, "chunk": settings.POSKO_FIELDAPP_CHUNK_BYTES}
