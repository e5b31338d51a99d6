"""Hostile import files and photos: how fast they are refused, and with how much memory.

Each case runs in a process of its own (so its peak memory is its own) and goes through the
code the import pages run: ``posko.core.importer.read_rows`` reading every row (the XLSX and
CSV readers, with the limits from settings: 10 MB upload, 210 MB unpacked, 200,000 rows,
32,767 characters per cell), and for the photo ``posko.core.uploads.check_evidence_upload``
(Pillow reads the GPS and re-encodes the photo, or refuses it). Baseline, measured in the same run: reading a normal 1,000-row TPS
workbook (as ``posko.core.exports`` writes it) the same way. Figures: seconds, the ratio to
the baseline and the process's peak resident memory above what it used before the case
(Linux ``VmHWM`` after resetting it, so memory of zlib and expat counts too).

Cases (files are generated in a temporary directory first):

- zip bomb, 2.5 GB cell: the tracker's 2.5 MB file holding one 2.5 GB cell
  (``--cell-mb``); refused by its declared unpacked size, nothing inflated;
- zip bomb, 220 MB of well-formed XML rows: refused by unpacked size (the tracker's 219 MB
  file took 248 s before this change);
- 200 MB of XML in a few hundred KB: under the size limit, refused by compression ratio;
- a 5 MB cell of incompressible text: refused at 32,767 characters while reading;
- 250,000 rows (over the 200,000 limit): refused by counting ``<row`` tags before parsing;
- a <dimension> that claims 1 row over 1,000: every row is read (openpyxl's read-only mode,
  used before, read 1; shown for comparison);
- a CSV whose one field is 9 MB (an unclosed quotation mark): refused with a message;
- a 739-byte JPEG whose GPSLatitude declares 0xFFFFFFFF values (froze a worker for 30 s).

Nothing asserts on time; the exit code is non-zero when a case is not refused (or the
dimension-lie file loses rows).

    .venv/bin/python bench/import_hostile.py [--cell-mb 2500]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import string
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ["kode_kelurahan", "nomor_tps", "alamat", "rt", "rw", "latitude", "longitude",
          "dpt_laki_laki", "dpt_perempuan", "lokasi_khusus", "keterangan_lokasi_khusus",
          "akses_disabilitas"]


# --- building the files --------------------------------------------------------------------

def _frame(archive: zipfile.ZipFile) -> None:
    """Every part of a minimal workbook but the sheet."""
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/'
                     'package/2006/content-types"><Default Extension="rels" ContentType='
                     '"application/vnd.openxmlformats-package.relationships+xml"/>'
                     f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
                     f'<Override PartName="/{SHEET}" ContentType="{ct}.worksheet+xml"/></Types>')
    archive.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/'
                     f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/'
                     'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                     '<sheet name="TPS" sheetId="1" r:id="rId1"/></sheets></workbook>')
    archive.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.'
                     'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
                     f'Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def _row(number: int, values) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def streamed_sheet(path: Path, body, *, level: int = 6, dimension: str = "") -> None:
    """A workbook whose sheet XML is written from ``body`` (an iterable of bytes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        _frame(archive)
        with archive.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(f'<worksheet xmlns="{MAIN}">{dimension}<sheetData>'.encode())
            for part in body:
                sheet.write(part)
            sheet.write(b"</sheetData></worksheet>")


def tps_rows(count: int):
    rng = random.Random(2024)
    for i in range(count):
        yield ["35.73.02.1001", i + 1, f"Jl. Contoh No. {rng.randint(1, 200)}", "001", "002",
               "", "", rng.randint(100, 300), rng.randint(100, 300), "", "", "ya"]


def build_files(directory: Path, cell_mb: int) -> dict[str, Path]:
    from posko.core.exports import xlsx_bytes

    files = {}
    files["baseline"] = directory / "normal.xlsx"
    files["baseline"].write_bytes(xlsx_bytes("TPS", HEADER, tps_rows(1_000)))

    files["bomb_cell"] = directory / "bomb_cell.xlsx"
    chunk = b"A" * (1024 * 1024)
    streamed_sheet(files["bomb_cell"], [_row(1, HEADER), b'<row r="2"><c t="inlineStr"><is><t>',
                                        *(chunk for _ in range(cell_mb)), b"</t></is></c></row>"],
                   level=9)

    def many_rows(count):
        for start in range(2, count + 2, 1000):
            yield b"".join(_row(n, ["35.73.02.1001", n, "Jl. Contoh", "001", "002", "", "",
                                    150, 150, "", "", "ya"]) for n in range(start, start + 1000))

    files["bomb_rows"] = directory / "bomb_rows.xlsx"  # ~220 MB of XML
    streamed_sheet(files["bomb_rows"], [_row(1, HEADER), *many_rows(432_000)])

    files["bomb_ratio"] = directory / "bomb_ratio.xlsx"  # 200 MB in a few hundred KB
    streamed_sheet(files["bomb_ratio"], [_row(1, HEADER), b'<row r="2"><c t="inlineStr"><is><t>',
                                         *(chunk for _ in range(190)), b"</t></is></c></row>"],
                   level=9)

    rng = random.Random(7)
    noise = "".join(rng.choices(string.ascii_letters + string.digits, k=5 * 1024 * 1024))
    files["long_cell"] = directory / "long_cell.xlsx"
    streamed_sheet(files["long_cell"], [_row(1, HEADER), _row(2, ["35.73.02.1001", 1, noise])])

    files["too_many_rows"] = directory / "too_many_rows.xlsx"
    streamed_sheet(files["too_many_rows"], [_row(1, HEADER), *many_rows(250_000)])

    files["dimension_lie"] = directory / "dimension_lie.xlsx"
    streamed_sheet(files["dimension_lie"], [_row(1, HEADER), *(
        _row(n + 2, row) for n, row in enumerate(tps_rows(1_000)))],
        dimension='<dimension ref="A1:F2"/>')

    files["csv_field"] = directory / "field.csv"
    files["csv_field"].write_bytes((",".join(HEADER) + '\n35.73.02.1001,1,"').encode()
                                   + b"x" * (9 * 1024 * 1024) + b"\n")

    files["exif"] = directory / "exif.jpg"
    files["exif"].write_bytes(exif_bomb())
    return files


def exif_bomb() -> bytes:
    """739 bytes: SOI, JFIF, an Exif APP1 whose GPSLatitude declares 0xFFFFFFFF rationals."""
    def ifd(entries):
        out = struct.pack(">H", len(entries))
        for tag, kind, count, value in entries:
            out += struct.pack(">HHII", tag, kind, count, value)
        return out + struct.pack(">I", 0)

    gps_at, data_at = 26, 26 + 2 + 4 * 12 + 4
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + ifd([(0x8825, 4, 1, gps_at)])
    tiff += ifd([(1, 2, 2, 0x53000000), (2, 5, 0xFFFFFFFF, data_at), (3, 2, 2, 0x45000000),
                 (4, 5, 3, data_at + 24)])
    tiff += struct.pack(">12I", 7, 1, 58, 1, 30, 1, 112, 1, 37, 1, 12, 1)
    app1 = b"Exif\x00\x00" + tiff
    head = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1)
    tail = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x5a" * 16 + b"\xff\xd9"
    padding = 739 - len(head) - len(tail) - 4
    return head + b"\xff\xfe" + struct.pack(">H", padding + 2) + b"p" * padding + tail


# --- one case, in its own process -------------------------------------------------------------

def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    """Reset the process's peak resident size (VmHWM) to its current size (Linux >= 4.0)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def run_case(case: str, path: str) -> dict:
    common.setup_django(common.sqlite_url())
    from posko.core import uploads
    from posko.core.importer import ImportFileError, read_rows

    data = Path(path).read_bytes()
    _reset_peak()
    before = _status_kb("VmRSS")
    out = {"file_mb": len(data) / 1e6}
    started = time.perf_counter()
    if case == "exif":
        from django.core.exceptions import ValidationError
        from django.core.files.uploadedfile import SimpleUploadedFile

        try:
            checked = uploads.check_evidence_upload(SimpleUploadedFile("bukti.jpg", data))
        except ValidationError as exc:
            out["outcome"], out["refused"] = f"refused: {exc.messages[0]}", True
        else:
            clean = checked.file.read()
            out["outcome"] = f"accepted, GPS {checked.gps}, Exif left: {b'Exif' in clean}"
            out["refused"] = checked.gps is None and b"Exif" not in clean
    else:
        try:
            rows = sum(1 for _ in read_rows(data, Path(path).name))
        except ImportFileError as exc:
            out["outcome"], out["refused"] = f"refused: {exc}", True
        else:
            out["outcome"], out["refused"], out["rows"] = f"read {rows:,} rows", False, rows
    out["seconds"] = time.perf_counter() - started
    out["peak_mb"] = max(0, _status_kb("VmHWM") - before) / 1024
    if case == "dimension_lie":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        out["openpyxl_rows"] = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    return out


CASES = [
    ("bomb_cell", "zip bomb: one cell of {cell_mb:,} MB"),
    ("bomb_rows", "zip bomb: ~220 MB of well-formed XML rows"),
    ("bomb_ratio", "200 MB of XML packed 1,000:1"),
    ("long_cell", "5 MB incompressible cell"),
    ("too_many_rows", "250,000 rows (limit 200,000)"),
    ("dimension_lie", "<dimension> says 1 row, holds 1,000"),
    ("csv_field", "CSV with a 9 MB field"),
    ("exif", "JPEG, GPSLatitude count 0xFFFFFFFF"),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cell-mb", type=int, default=2500)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case, args.file)))
        return 0
    common.setup_django(common.sqlite_url())
    print("Hostile import files and photos: time to refuse and peak memory, each in its own "
          "process.\nBaseline: reading a normal 1,000-row TPS workbook with the same reader.")
    with tempfile.TemporaryDirectory(prefix="posko-hostile-") as tmp:
        with common.timer() as built:
            files = build_files(Path(tmp), args.cell_mb)
        common.figure("files generated (s)", f"{built():.1f}")

        def child(case):
            proc = subprocess.run([sys.executable, __file__, "--case", case, "--file",
                                   str(files[case])], capture_output=True, text=True)
            if proc.returncode:
                print(proc.stdout, proc.stderr)
                raise SystemExit(f"case {case} failed")
            return json.loads(proc.stdout.strip().splitlines()[-1])

        base = child("baseline")
        common.figure("baseline: normal 1,000-row XLSX",
                      f"{base['seconds'] * 1000:.1f} ms, {base['peak_mb']:.1f} MB peak, "
                      f"{base['file_mb'] * 1000:.0f} KB file, {base['outcome']}")
        ok = base.get("rows") == 1_001
        for case, label in CASES:
            r = child(case)
            label = label.format(cell_mb=args.cell_mb)
            size = (f"{r['file_mb']:.2f} MB" if r["file_mb"] >= 0.1
                    else f"{r['file_mb'] * 1e6:,.0f} B")
            common.figure(f"{label} ({size})",
                          f"{r['seconds'] * 1000:.1f} ms ({common.ratio(r['seconds'], base['seconds'])}"
                          f" baseline), {r['peak_mb']:.1f} MB peak")
            print(f"  {'':<48}   {r['outcome'][:110]}")
            if case == "dimension_lie":
                good = r.get("rows") == 1_001
                print(f"  {'':<48}   openpyxl read-only (before): {r['openpyxl_rows']:,} rows")
            else:
                good = r["refused"]
            ok = ok and good
    print("  checks:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
