"""Helpers of the outreach tests: activities placed in the persona world, tiny images."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from posko.outreach import services
from posko.outreach.models import Activity, TargetGroup

WIB = ZoneInfo("Asia/Jakarta")
PAST = datetime.datetime(2024, 10, 15, 9, 0, tzinfo=WIB)
# 1x1 PNG
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89"
       b"\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")  # a real 1x1 PNG (photos are decoded)


def png(name="foto.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def not_an_image(name="foto.jpg"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is a program", content_type="image/jpeg")


def group(code):
    return TargetGroup.objects.get(code=code)


def add_activity(world, actor, *, kel="default", kind=Activity.Kind.TATAP_MUKA,
                 status=Activity.Status.HELD, attendance=50, starts_at=PAST, groups=("pemilih-pemula",),
                 organiser_kind=Activity.OrganiserKind.KELURAHAN, title="Sosialisasi", **extra):
    kel = world.kel_a if kel == "default" else kel
    activity = Activity(election=world.election, kind=kind, status=status, title=title,
                        starts_at=starts_at, organiser_kind=organiser_kind,
                        kelurahan_id=kel.code if kel else None,
                        attendance=attendance if status == Activity.Status.HELD else None, **extra)
    return services.save_activity(activity, [group(g) for g in groups], actor=actor)
