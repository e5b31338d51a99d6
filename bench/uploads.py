"""What re-encoding a photo costs (issue 16, uploads): ``posko.core.uploads.check_upload``
on a photo (header and pixel-limit check, polyglot scan, GPS read, full decode, EXIF
orientation, re-encode without metadata, SHA-256 of the original) against the baseline of
storing the same bytes as they came (a plain file copy through Django's storage).

Photos (made here, camera-like: a gradient with sensor noise, EXIF with GPS):
    12 MP JPEG (4000 x 3000), a phone's default; 50 MP JPEG (8160 x 6120), the largest
    common phone mode, near the default limit of 60 MP; 12 MP WEBP; a 1080 x 2400 PNG
    screenshot; a 12 MP PNG. The served C.Hasil copy (at most 4,000 px, JPEG decoded at a
    reduced scale) of the 50 MP JPEG is timed too.

Per photo: the median of ``--runs`` runs (default 3), the ratio to the copy, and the peak
resident memory above the process's size before (Linux ``VmHWM`` after resetting it).
No database is needed (Django is set up on an unused SQLite file for the settings).

    .venv/bin/python bench/uploads.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def camera_photo(width: int, height: int, fmt: str) -> bytes:
    from PIL import Image

    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    picture = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.ROTATE_180)))
    exif = Image.Exif()
    exif[0x0110] = "Bench Phone"
    exif.get_ifd(0x8825).update({1: "S", 2: (7.0, 58.0, 30.0), 3: "E", 4: (112.0, 37.0, 12.0)})
    out = io.BytesIO()
    if fmt == "JPEG":
        picture.save(out, "JPEG", quality=92, exif=exif)
    elif fmt == "WEBP":
        picture.save(out, "WEBP", quality=85, exif=exif)
    else:
        picture.save(out, "PNG", exif=exif)
    return out.getvalue()


def screenshot() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (1080, 2400), (245, 245, 245))
    draw = ImageDraw.Draw(picture)
    for row in range(0, 2400, 60):
        draw.rectangle((40, row + 10, 1040, row + 50), fill=(200, 220, 255) if row % 120 else
                       (255, 255, 255), outline=(120, 120, 120))
        draw.text((60, row + 22), f"TPS {row // 60 + 1:03d}  suara sah 231  tidak sah 4",
                  fill=(0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _measure_here(runs: int, work, results) -> None:
    times, peak = [], 0.0
    for _ in range(runs):
        _reset_peak()
        before = _status_kb("VmRSS")
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
        peak = max(peak, (_status_kb("VmHWM") - before) / 1024)
    results.put((statistics.median(times), peak))


def measure(runs: int, work) -> tuple[float, float]:
    """(median seconds, peak MB above the size before) of ``work()``, in a forked process
    of its own, so memory an earlier case left to the allocator does not hide this one's."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_measure_here, args=(runs, work, results))
    child.start()
    outcome = results.get()
    child.join()
    return outcome


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    media = tempfile.mkdtemp(prefix="posko-bench-media-")
    common.setup_django(common.sqlite_url())
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from posko.core import uploads

    storage = FileSystemStorage(location=media)
    # The photos are made in a process of their own: memory the parent allocated and freed
    # would be reused by the measured children without showing in their peak.
    context = multiprocessing.get_context("fork")
    made = context.Queue()
    maker = context.Process(target=lambda: made.put([
        camera_photo(4000, 3000, "JPEG"), camera_photo(8160, 6120, "JPEG"),
        camera_photo(4000, 3000, "WEBP"), screenshot(), camera_photo(4000, 3000, "PNG")]))
    maker.start()
    jpeg12, jpeg50, webp12, shot, png12 = made.get()
    maker.join()
    cases = [
        ("12 MP JPEG (4000x3000)", "foto.jpg", jpeg12, None, True),
        ("50 MP JPEG (8160x6120)", "foto.jpg", jpeg50, None, True),
        ("50 MP JPEG, served C.Hasil copy (4000 px)", "foto.jpg", jpeg50, 4000, True),
        ("12 MP WEBP (4000x3000)", "foto.webp", webp12, None, True),
        ("PNG screenshot (1080x2400)", "layar.png", shot, None, False),
        ("12 MP PNG (4000x3000)", "foto.png", png12, None, True),
    ]
    print(f"Photo re-encoding (median of {args.runs}; POSKO_MAX_IMAGE_PIXELS="
          f"{settings.POSKO_MAX_IMAGE_PIXELS:,}); baseline: the same bytes stored as received")
    failed = False
    for label, name, data, max_side, has_gps in cases:

        def copy(data=data, name=name):
            storage.delete(storage.save(name, ContentFile(data)))

        def clean(data=data, name=name, max_side=max_side):
            checked = uploads.check_upload(SimpleUploadedFile(name, data), uploads.PHOTO_KINDS,
                                           max_bytes=len(data) + 1, max_side=max_side)
            stored = storage.save(name, checked.file)
            size = storage.size(stored)
            storage.delete(stored)
            return checked, size

        copied, copy_peak = measure(args.runs, copy)
        took, peak = measure(args.runs, clean)
        checked, size = clean()
        stored = checked.file.read() if hasattr(checked.file, "read") else b""
        ok = ((checked.gps is not None) is has_gps and b"Exif" not in stored
              and b"Bench Phone" not in stored)
        failed |= not ok
        common.figure(f"{label} ({len(data) / 1e6:.1f} MB)",
                      f"{took * 1000:7.0f} ms, {peak:5.0f} MB peak | copy {copied * 1000:5.1f} ms "
                      f"({common.ratio(took, copied)}) | stored {size / 1e6:.1f} MB"
                      f"{'' if ok else '  METADATA LEFT'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
