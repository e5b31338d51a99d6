"""What stripping metadata from videos and PDFs costs (issue 16, uploads):
``posko.core.media_meta`` on the largest files Posko accepts, against the baseline of what
every upload already pays, the SHA-256 of its bytes (``core.uploads`` hashes the original).

Files (made here): a 30 MB MP4 (ftyp, moov with a GPS ``©xyz`` box and 2,000 sample
entries, a 30 MB mdat), the same as a WEBM (EBML, a Segment and 300 clusters of unknown
size, Tags), and PDFs of 10 and 200 pages written by fpdf2 with an author, keywords and XMP.
Per file: the median of ``--runs`` runs (default 5) and the ratio to the SHA-256.

    .venv/bin/python bench/media_meta.py [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpdf import FPDF  # noqa: E402

from posko.core import media_meta  # noqa: E402
from tests import media_fixtures as mf  # noqa: E402

MB = 1024 * 1024


def big_mp4() -> bytes:
    small = mf.mp4_bytes()
    stco = mf.full_box(b"stco", struct.pack(">I", 2000) + bytes(4 * 2000))
    trak = mf.box(b"trak", mf.box(b"mdia", mf.box(b"minf", mf.box(b"stbl", stco))))
    moov_at = small.index(b"moov") - 4
    size = struct.unpack(">I", small[moov_at:moov_at + 4])[0]
    moov = mf.box(b"moov", small[moov_at + 8:moov_at + size] + trak)
    return small[:moov_at] + moov + mf.box(b"mdat", bytes(30 * MB))


def big_webm() -> bytes:
    small = mf.webm_bytes()
    cluster = b"\x1f\x43\xb6\x75" + mf.UNKNOWN + mf._ebml(0xE7, b"\x00") + b"".join(
        mf._ebml(0xA3, bytes(1000)) for _ in range(100))
    cut = small.index(b"\x1f\x43\xb6\x75")
    tags = small.index(b"\x12\x54\xc3\x67")
    return small[:cut] + cluster * 300 + small[tags:]


def pdf(pages: int) -> bytes:
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for page in range(pages):
        doc.add_page()
        for line in range(40):
            doc.cell(0, 6, f"Halaman {page + 1}, baris {line + 1}: daftar hadir sosialisasi",
                     new_x="LMARGIN", new_y="NEXT")
    doc.set_author(mf.PERSON)
    doc.set_keywords("Jl. Melati 7")
    return bytes(doc.output())


def timed(fn, data, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    files = [("MP4 30 MB", big_mp4(), media_meta.clean_iso),
             ("WEBM 30 MB", big_webm(), media_meta.clean_ebml),
             ("PDF 10 pages", pdf(10), media_meta.clean_pdf),
             ("PDF 200 pages", pdf(200), media_meta.clean_pdf)]
    print(f"{'file':<14} {'size':>10} {'sha256 ms':>10} {'clean ms':>9} {'ratio':>7}")
    for name, data, clean in files:
        out = clean(data)
        assert mf.GPS not in out and mf.PERSON.encode() not in out, name
        base = timed(lambda d: hashlib.sha256(d).hexdigest(), data, runs)
        cost = timed(clean, data, runs)
        print(f"{name:<14} {len(data):>10,} {base * 1000:>10.1f} {cost * 1000:>9.1f} "
              f"{cost / base:>6.1f}x")


if __name__ == "__main__":
    main()
