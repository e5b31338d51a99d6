"""Reading KPU's public per-TPS result files (Sirekap 2024) from an upload: one ``.json``
file, or a zip of them (a folder as downloaded). Nothing is fetched from the network.

A file is named after its TPS: ``<kelurahan code, 10 digits><TPS number, 3 digits>.json``,
e.g. ``3573011001001.json`` = kelurahan 35.73.01.1001, TPS 001, anywhere in the zip (KPU's
path ``pilkada/hhcw/pkwkk/35/3573/357301/3573011001/3573011001001.json`` tells the contest
too: ``pkwkp`` governor, ``pkwkk`` mayor, ``pkwkb`` regent). Its content::

    {"chart": {"100025": 117, "100026": 171, "null": null},
     "images": ["https://…/c1-hal-1.jpg", null, …],
     "administrasi": {"suara_sah": 288, "suara_tidak_sah": 6, "suara_total": 294,
                      "pengguna_dpt_j": 285, "pengguna_dptb_j": 4, "pengguna_non_dpt_j": 5,
                      "pengguna_total_l": 140, "pengguna_total_p": 154, "pemilih_dpt_j": 410, …},
     "psu": null, "ts": "2024-11-27 18:44:00", "status_suara": true, "status_adm": true}

Hostile uploads are refused file by file with the file named: a path that climbs out of the
zip, a file over ``MAX_FILE_BYTES`` (whatever its header claims: at most that much is ever
read), a zip whose members would inflate past ``POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES``,
text that is not JSON, JSON that is not a KPU TPS file."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from posko.core.import_files import ImportFileError, max_rows

MAX_FILE_BYTES = 256 * 1024  # a KPU TPS file is about 1.5 KB
ZIP_MAGIC = b"PK\x03\x04"
TPS_NAME = re.compile(r"(\d{10})(\d{3})\.json$", re.IGNORECASE)
#: KPU's contest codes in its paths → Posko's contest level.
LEVELS = {"pkwkp": "gubernur", "pkwkk": "walikota", "pkwkb": "bupati"}
IGNORED = ("__MACOSX/", ".DS_Store", "Thumbs.db")


class FileProblem(ValueError):
    """This one file cannot be imported; the message says why."""


@dataclass
class KpuFile:
    """One per-TPS file, read and checked (not yet matched to a TPS)."""

    name: str
    kelurahan_code: str
    tps_number: int
    level: str  # from the path, "" when the path does not say
    sha256: str
    chart: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int | None] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    ts: str = ""
    status: dict = field(default_factory=dict)
    published: bool = True


def is_json_upload(data: bytes, filename: str) -> bool:
    """A zip (not an XLSX workbook, which is a zip too) or a JSON file."""
    name = filename.lower()
    if data.startswith(ZIP_MAGIC):
        return not name.endswith((".xlsx", ".xlsm"))
    return name.endswith(".json") or data.lstrip()[:1] in (b"{", b"[")


def is_candidate_list(name: str) -> bool:
    """KPU's candidate list: ``paslon/<contest code>.json`` or ``paslon*.json``."""
    parts = name.lower().split("/")
    return "paslon" in parts[:-1] or parts[-1].startswith("paslon")


def members(data: bytes, filename: str):
    """``(position, name, bytes or FileProblem)`` of every JSON file of the upload."""
    if not data.startswith(ZIP_MAGIC):
        if len(data) > MAX_FILE_BYTES:
            yield 1, filename, FileProblem(_("The file is larger than %(max)s KB.") % {
                "max": MAX_FILE_BYTES // 1024})
        else:
            yield 1, filename, data
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ImportFileError(_("The zip file is damaged or not a zip file.")) from None
    infos = [i for i in infos if not i.is_dir() and not any(x in i.filename for x in IGNORED)]
    if len(infos) > max_rows():
        raise ImportFileError(_("The zip holds more than %(max)s files; split it.") % {
            "max": max_rows()})
    declared = sum(i.file_size for i in infos)
    if declared > settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(_(
            "The zip would unpack to %(size)s MB, more than the %(max)s MB allowed: it is "
            "refused (a zip bomb or the wrong folder).") % {
            "size": declared // 2**20, "max": settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES // 2**20})
    total = 0
    for position, info in enumerate(infos, start=1):
        name = info.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or \
                re.match(r"^[A-Za-z]:", name):
            yield position, name, FileProblem(_(
                "Unsafe path in the zip (it points outside the folder): refused."))
            continue
        if not name.lower().endswith(".json"):
            continue  # readme, photos…: not KPU result files
        if info.file_size > MAX_FILE_BYTES:
            yield position, name, FileProblem(_("The file is larger than %(max)s KB.") % {
                "max": MAX_FILE_BYTES // 1024})
            continue
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_FILE_BYTES + 1)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
            yield position, name, FileProblem(_(
                "The file cannot be unpacked (damaged or encrypted)."))
            continue
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES:
            yield position, name, FileProblem(_("The file is larger than %(max)s KB.") % {
                "max": MAX_FILE_BYTES // 1024})
            continue
        yield position, name, content


def _count(value, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100_000:
        raise FileProblem(_("%(what)s is %(value)s, not a whole number from 0 to 100000.") % {
            "what": what, "value": json.dumps(value)[:40]})
    return value


def _load(content: bytes):
    try:
        return json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise FileProblem(_("The file is not UTF-8 text.")) from None
    except json.JSONDecodeError as exc:
        raise FileProblem(_("The file is not valid JSON (line %(line)s, column %(column)s: "
                            "%(error)s).") % {"line": exc.lineno, "column": exc.colno,
                                             "error": exc.msg}) from None
    except RecursionError:
        raise FileProblem(_("The file is not valid JSON (nested too deep).")) from None


def mapping_file(content: bytes) -> dict[str, int]:
    """KPU's candidate list (``paslon/<code>.json``: ``{"100025": {"nomor_urut": 1, …}}``)
    or a plain ``{"100025": 1}``: candidate id → ballot number."""
    data = _load(content)
    if not isinstance(data, dict):
        raise FileProblem(_("A candidate list maps each candidate id to its ballot number."))
    found = {}
    for key, value in data.items():
        number = value.get("nomor_urut") if isinstance(value, dict) else value
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise FileProblem(_("Candidate id %(id)s has no ballot number (nomor_urut).") % {
                "id": key})
        found[str(key)] = number
    return found


def parse(name: str, content: bytes) -> KpuFile:
    """One per-TPS file, checked; raises FileProblem with the reason."""
    match = TPS_NAME.search(name.rsplit("/", 1)[-1])
    if not match:
        raise FileProblem(_(
            "The file name does not name a TPS: KPU's files are named after the kelurahan code "
            "and TPS number, e.g. 3573011001001.json."))
    digits, number = match.groups()
    level = next((lvl for code, lvl in LEVELS.items() if f"/{code}/" in f"/{name.lower()}"), "")
    data = _load(content)
    if not isinstance(data, dict) or "chart" not in data or "administrasi" not in data:
        raise FileProblem(_("This is not a KPU TPS result file: it has no “chart” and "
                            "“administrasi”."))
    entry = KpuFile(name=name, kelurahan_code=f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}."
                    f"{digits[6:]}", tps_number=int(number), level=level,
                    sha256=hashlib.sha256(content).hexdigest())
    entry.ts = str(data.get("ts") or "")[:40]
    entry.status = {key: data.get(key) for key in ("status_suara", "status_adm", "psu")
                    if isinstance(data.get(key), bool | str | None)}
    chart, adm = data.get("chart"), data.get("administrasi")
    if chart is None or adm is None:
        entry.published = False  # KPU has no numbers for this TPS yet
        return entry
    if not isinstance(chart, dict) or not isinstance(adm, dict):
        raise FileProblem(_("“chart” and “administrasi” must be objects."))
    if all(v is None for v in chart.values()) and all(v is None for v in adm.values()):
        entry.published = False
        return entry
    for key, value in chart.items():
        if key == "null" and value is None:
            continue
        if not str(key).isdigit():
            raise FileProblem(_("“chart” has %(key)s, not a candidate id.") % {
                "key": json.dumps(key)[:40]})
        entry.chart[str(key)] = _count(value, _("Candidate %(id)s's votes") % {"id": key})
        if entry.chart[str(key)] is None:
            raise FileProblem(_("Candidate %(id)s has no votes in the file.") % {"id": key})
    numbers = {
        "valid": _count(adm.get("suara_sah"), "suara_sah"),
        "invalid": _count(adm.get("suara_tidak_sah"), "suara_tidak_sah"),
        "ballots_used": _count(adm.get("suara_total"), "suara_total"),
        "voters_dpt": _count(adm.get("pengguna_dpt_j"), "pengguna_dpt_j"),
        "voters_dptb": _count(adm.get("pengguna_dptb_j"), "pengguna_dptb_j"),
        "voters_dpk": _count(adm.get("pengguna_non_dpt_j", adm.get("pengguna_dpk_j")),
                             "pengguna_non_dpt_j"),
        "voters_men": _count(adm.get("pengguna_total_l"), "pengguna_total_l"),
        "voters_women": _count(adm.get("pengguna_total_p"), "pengguna_total_p"),
    }
    missing = [key for key, value in (("suara_sah", numbers["valid"]),
                                      ("suara_tidak_sah", numbers["invalid"]),
                                      ("pengguna_dpt_j", numbers["voters_dpt"])) if value is None]
    if missing:
        raise FileProblem(_("“administrasi” has no %(keys)s.") % {"keys": ", ".join(missing)})
    numbers["voters_dptb"] = numbers["voters_dptb"] or 0
    numbers["voters_dpk"] = numbers["voters_dpk"] or 0
    entry.numbers = numbers
    images = data.get("images") or []
    if not isinstance(images, list):
        raise FileProblem(_("“images” must be a list of links."))
    entry.images = [url for url in images[:10] if isinstance(url, str)
                    and url.startswith(("https://", "http://")) and len(url) <= 500]
    return entry
