"""Demo C.Hasil photos: a handful only (not one per TPS: 1,188 TPS × 2 contests of images
would make the demo slow and large). ``PHOTO_TPS`` TPS get a small generated PNG of their
Wali Kota C.Hasil page 1 (a drawn sheet with the pairs' numbers, not a real form); the first
one also gets a second version with a reason, so the history shows. Deterministic (same
pixels, same SHA-256 every run), stored through ``voting.services.evidence.add_photo`` like
an upload (served copy, audit); a second run adds nothing."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from posko.accounts.models import User
from posko.demo.timeline import as_of_of
from posko.elections.models import Election
from posko.voting.access import may_report
from posko.voting.models import ResultPhoto, Source, TpsResult
from posko.voting.services import evidence

PHOTO_TPS = 6


def _sheet(result: TpsResult, *, shade: int) -> bytes:
    image = Image.new("RGB", (240, 320), (shade, shade, shade - 8))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 231, 311), outline=(40, 40, 40), width=2)
    draw.text((16, 16), "C.HASIL - CONTOH DEMO", fill=(0, 0, 0))
    draw.text((16, 34), f"TPS {result.tps.number:03d} {result.kelurahan_id}", fill=(0, 0, 0))
    y = 64
    for number, votes in sorted(result.votes.items(), key=lambda item: int(item[0])):
        draw.rectangle((16, y, 223, y + 28), outline=(90, 90, 90))
        draw.text((24, y + 8), f"Paslon {number}: {votes}", fill=(0, 0, 0))
        y += 36
    draw.text((16, y + 8), f"Sah {result.valid}  Tidak sah {result.invalid}", fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def build_photos(result) -> None:
    """Idempotent: photos for the first ``PHOTO_TPS`` TPS with a Wali Kota result and none."""
    election = Election.objects.get(pk=result.election_id)
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return
    entries = list(TpsResult.objects.filter(
        election=election, contest__level="walikota", source=Source.PEMDA, is_current=True,
    ).select_related("tps", "contest", "entered_by").order_by(
        "kelurahan_id", "tps__number", "contest_id")[:PHOTO_TPS])
    have = set(ResultPhoto.objects.filter(election=election).values_list("tps_id", "contest_id"))
    for index, entry in enumerate(entries):
        if (entry.tps_id, entry.contest_id) in have:
            continue
        versions = [240, 252] if index == 0 else [250]
        who = entry.entered_by if entry.entered_by and may_report(entry.entered_by,
                                                                   entry.tps) else admin
        for version, shade in enumerate(versions, start=1):
            taken = entry.entered_at + datetime.timedelta(minutes=5 * version)
            if taken > as_of_of(result):
                break
            upload = SimpleUploadedFile(f"chasil-{entry.tps_id}-{version}.png",
                                        _sheet(entry, shade=shade), content_type="image/png")
            evidence.add_photo(
                entry.tps, entry.contest, actor=who, election=election,
                source=Source.PEMDA, page=1, upload=upload, device="Demo (foto buatan)",
                reason="Foto pertama kurang terang; difoto ulang." if version > 1 else "",
                now=taken)
            result.other_changes += 1
