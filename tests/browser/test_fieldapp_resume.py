"""Resumable photo upload from the field app (issue 18, core.resumable) in Chromium: the C.Hasil
photo is sent in chunks; the answer to one chunk is lost (the server got it, the phone saw a
dropped connection); the next attempt asks the offset and continues — no chunk is sent twice —
and the photo is stored once with the SHA-256 the phone computed."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone
from PIL import Image

from posko.core import clock, resumable
from posko.voting.models import ResultPhoto, TpsResult
from tests.browser.conftest import log_in
from tests.browser.test_fieldapp import (  # noqa: F401 (a fixture)
    field_world,
    fill_results,
    open_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dropped_chunk_answer_resumes_from_the_servers_offset(
        base_url, world, users, field_world, page, browser_context,  # noqa: F811
        page_errors, tmp_path, settings, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.POSKO_RESUMABLE_DIR = tmp_path / "resumable"
    settings.POSKO_FIELDAPP_CHUNKED_OVER_BYTES = 1024
    settings.POSKO_FIELDAPP_CHUNK_BYTES = 4096
    clock.simulate(timezone.make_aware(datetime.datetime.combine(
        world.election.voting_date, datetime.time(13, 30))))
    picture = tmp_path / "chasil.jpg"
    image = Image.effect_noise((600, 450), 60).convert("RGB")
    image.save(picture, "JPEG", quality=90)
    seen, dropped, received = [], [], []
    real_append = resumable.append

    def spy(user, pk, offset, chunk):
        received.append(offset)
        return real_append(user, pk, offset, chunk)

    monkeypatch.setattr(resumable, "append", spy)

    def handle(route):
        request = route.request
        seen.append((request.method, request.headers.get("upload-offset")))
        if request.method == "PATCH" and len(seen) > 3 and not dropped:
            dropped.append(request.headers.get("upload-offset"))
            route.fetch()  # the server takes the chunk …
            route.abort()  # … and the phone never hears the answer
            return
        route.continue_()

    browser_context.route("**/api/v1/uploads/**", handle)
    log_in(page, base_url, "kelurahan_a")
    open_app(page, base_url)
    fill_results(page, base_url, world, picture)
    deadline = time.monotonic() + 60
    while True:  # the dropped answer makes the entry wait (backoff): ask it to send now
        states = page.evaluate("window.poskoField.outbox.all().then(a => a.map(e => e.state))")
        if states and all(state == "sent" for state in states) or time.monotonic() > deadline:
            break
        if dropped:
            page.evaluate("window.poskoField.flush(true)")
        page.wait_for_timeout(500)
    sha256, size = page.evaluate("window.poskoField.outbox.all().then(a => a.filter(e => "
                                 "e.file).map(e => [e.file.sha256, e.file.size])[0])")
    assert dropped, seen
    offsets = [offset for method, offset in seen if method == "PATCH"]
    assert len(offsets) == len(set(offsets)), offsets  # no chunk sent twice
    assert received == sorted(set(received)) == [int(o) for o in offsets]  # each taken once
    assert ("HEAD", None) in seen  # the phone asked how far the server got
    assert size > 3 * 4096
    assert TpsResult.objects.filter(tps=world.tps_a).count() == 1
    assert states == ["sent", "sent"]
    photo = ResultPhoto.objects.get(tps=world.tps_a)
    assert photo.sha256 == sha256 and photo.size == size
    assert list(settings.POSKO_RESUMABLE_DIR.iterdir()) == []
    print(f"\nresumable photo: {size} bytes in {len(offsets)} chunks, one answer dropped "
          f"at offset {dropped[0]}")
    assert page_errors == []
