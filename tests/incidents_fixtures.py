"""Helpers shared by the incidents tests (report factory, fake providers, files)."""

from __future__ import annotations

import datetime
import io
import struct

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from posko.incidents import services
from posko.incidents.models import Category, Report
from tests.media_fixtures import mp4_bytes

NOW = datetime.datetime(2024, 11, 27, 9, 0, tzinfo=datetime.UTC)


def category(code="politik_uang") -> Category:
    services.ensure_categories()
    return Category.objects.get(code=code)


def make_report(world, actor, *, tps=None, kelurahan=None, code="politik_uang", severity="sedang",
                now=None, occurred_at=None, files=(), **extra) -> Report:
    report = Report(election=world.election, category=category(code),
                    tps=tps if tps is not None else (None if kelurahan else world.tps_a),
                    kelurahan=kelurahan, title=extra.pop("title", "Bagi-bagi amplop"),
                    description=extra.pop("description", "Warga menerima amplop berisi uang."),
                    occurred_at=occurred_at or (now or timezone.now()) - datetime.timedelta(hours=1),
                    severity=severity, **extra)
    return services.create_report(report, actor=actor, now=now or timezone.now(), files=files)


def jpeg_bytes(with_gps=True) -> bytes:
    """A tiny real JPEG (photos are decoded) with an EXIF GPS position 7°58'30"S 112°37'12"E."""
    def ifd(entries, next_offset=0):
        out = struct.pack(">H", len(entries))
        for tag, typ, count, value in entries:
            out += struct.pack(">HHI", tag, typ, count) + value
        return out + struct.pack(">I", next_offset)

    # TIFF header (big endian), IFD0 at 8 with one entry: GPS IFD pointer.
    gps_ifd_offset = 8 + 2 + 12 + 4
    gps_entries_len = 2 + 4 * 12 + 4
    data_offset = gps_ifd_offset + gps_entries_len
    lat = struct.pack(">IIIIII", 7, 1, 58, 1, 30, 1)
    lon = struct.pack(">IIIIII", 112, 1, 37, 1, 12, 1)
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += ifd([(0x8825, 4, 1, struct.pack(">I", gps_ifd_offset))])
    tiff += ifd([(1, 2, 2, b"S\x00\x00\x00"), (2, 5, 3, struct.pack(">I", data_offset)),
                 (3, 2, 2, b"E\x00\x00\x00"), (4, 5, 3, struct.pack(">I", data_offset + 24))])
    tiff += lat + lon
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 40, 40)).save(
        out, "JPEG", **({"exif": b"Exif\x00\x00" + tiff} if with_gps else {}))
    return out.getvalue()


def photo(name="foto.jpg", with_gps=True) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(with_gps), content_type="image/jpeg")


def mp4(name="video.mp4", size=None) -> SimpleUploadedFile:
    data = mp4_bytes()  # a real (tiny) MP4 with a GPS box: stored without it
    upload = SimpleUploadedFile(name, data, content_type="video/mp4")
    if size is not None:
        upload.size = size
    return upload


def exe_as_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile("foto.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100,
                              content_type="image/jpeg")


class FakeNotify:
    """Like the coordination inbox: a key, once used, is never notified again (for anyone)."""

    def __init__(self):
        self.sent = []
        self.keys = set()

    def __call__(self, user, kind, title, *, key, url="", body=""):
        if key in self.keys:
            return False
        self.keys.add(key)
        self.sent.append((user.username, kind, title, key, url))
        return True
