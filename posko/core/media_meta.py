"""Metadata stripped from uploaded videos (MP4/3GP, WEBM) and PDF documents (issue 16).

Photos are re-encoded by Pillow (``core.images``); the other kinds Posko accepts are cleaned
here, before anything is saved, and a file that cannot be read as the kind its first bytes
claim is refused with a message (nothing stored). The caller keeps the original (and its
SHA-256) where a module needs it as evidence; what is served is the cleaned copy.

* **MP4 / 3GP / MOV (ISO base media).** The boxes are walked (``moov`` → ``trak`` → ``mdia``
  → ``minf``) and every ``udta`` (user data: ``©xyz`` location, ``loci``, author, title,
  device), ``meta`` (iTunes/QuickTime keys, Apple's ``location.ISO6709``), ``uuid`` (XMP) and
  ``©…`` box becomes a ``free`` box of the same size filled with zeros; the creation and
  modification times of ``mvhd``/``tkhd``/``mdhd`` are set to 0. Nothing moves, so the
  sample offsets (``stco``/``co64``) stay right and the video plays as before. A box whose
  size runs past its parent, a size below its header, a non-printable box type or a file
  without ``moov`` is refused.
* **WEBM (Matroska/EBML).** The EBML header must name ``webm`` or ``matroska``; in the
  Segment, ``Tags`` (title, location, people…) and ``Attachments`` become ``Void`` elements
  of the same size, and so do the ``Title`` and ``DateUTC`` of ``Info``. Segments and
  clusters of unknown size (what a browser's MediaRecorder writes) are followed.
* **PDF.** Read and written again by pypdf: the document information dictionary (``/Info``:
  author, creator, producer, dates, keywords), every XMP ``/Metadata`` stream (document,
  page, image) and ``/PieceInfo`` are dropped, objects no longer referenced (older revisions
  of an incrementally saved file) are not written; a JPEG image inside that carries EXIF or
  XMP (a phone scanner app's camera, time and GPS) is re-encoded by Pillow without them.
  Encrypted PDFs are refused.
"""

from __future__ import annotations

import io
import logging

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# --- ISO base media (MP4, 3GP, MOV) ------------------------------------------------------------

_ISO_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"edts"}
_ISO_STRIP = {b"udta", b"meta", b"uuid", b"XMP_"}
_ISO_TIMES = {b"mvhd", b"tkhd", b"mdhd"}


class Malformed(Exception):
    """The file is not what its first bytes claim (damaged, cut off or crafted)."""


def _iso_boxes(data, start: int, end: int, *, top: bool = False):
    pos = start
    while pos < end:
        if top and not any(data[pos:end]):
            return  # zero padding after the last box
        if end - pos < 8:
            raise Malformed("box header cut off")
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = bytes(data[pos + 4:pos + 8])
        header = 8
        if size == 1:
            if end - pos < 16:
                raise Malformed("large size cut off")
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            if not top:
                raise Malformed("size 0 inside a box")
            size = end - pos
        if size < header or pos + size > end:
            raise Malformed(f"box {kind!r} runs past its parent")
        if not all(0x20 <= b <= 0x7E or b == 0xA9 for b in kind):
            raise Malformed("box type not printable")
        yield pos, size, header, kind
        pos += size


def _blank_box(data: bytearray, pos: int, size: int, header: int) -> None:
    data[pos + 4:pos + 8] = b"free"
    data[pos + header:pos + size] = bytes(size - header)


def _clear_times(data: bytearray, pos: int, size: int, header: int) -> None:
    body = pos + header
    if size - header < 4:
        raise Malformed("header box too short")
    width = 8 if data[body] == 1 else 4
    if size - header < 4 + 2 * width:
        raise Malformed("header box too short")
    data[body + 4:body + 4 + 2 * width] = bytes(2 * width)


def _iso_walk(data: bytearray, start: int, end: int, *, top: bool = False) -> set[bytes]:
    seen = set()
    for pos, size, header, kind in _iso_boxes(data, start, end, top=top):
        seen.add(kind)
        if kind in _ISO_STRIP or kind[0] == 0xA9:
            _blank_box(data, pos, size, header)
        elif kind in _ISO_TIMES:
            _clear_times(data, pos, size, header)
        elif kind in _ISO_CONTAINERS:
            _iso_walk(data, pos + header, pos + size)
    return seen


def clean_iso(data: bytes) -> bytes:
    """An MP4/3GP/MOV file with its metadata boxes blanked (module doc); Malformed if broken."""
    out = bytearray(data)
    seen = _iso_walk(out, 0, len(out), top=True)
    if b"ftyp" not in seen or b"moov" not in seen:
        raise Malformed("no ftyp or moov box")
    return bytes(out)


# --- EBML (WEBM, Matroska) -------------------------------------------------------------------

EBML_HEADER, SEGMENT, CLUSTER, VOID = 0x1A45DFA3, 0x18538067, 0x1F43B675, 0xEC
DOC_TYPE, INFO, TAGS, ATTACHMENTS = 0x4282, 0x1549A966, 0x1254C367, 0x1941A469
INFO_STRIP = {0x7BA9, 0x4461}  # Title, DateUTC
SEGMENT_LEVEL = {0x114D9B74, INFO, 0x1654AE6B, CLUSTER, 0x1C53BB6B, TAGS, ATTACHMENTS, 0x1043A770}


def _vint(data, pos: int, end: int, *, is_id: bool = False) -> tuple[int | None, int]:
    if pos >= end or data[pos] == 0:
        raise Malformed("bad variable-length integer")
    length = 9 - data[pos].bit_length()
    if pos + length > end or (is_id and length > 4):
        raise Malformed("variable-length integer cut off")
    raw = int.from_bytes(data[pos:pos + length], "big")
    if is_id:
        return raw, length
    value = raw & ((1 << (7 * length)) - 1)
    return (None if value == (1 << (7 * length)) - 1 else value), length


def _element(data, pos: int, end: int):
    """(id, start of data, end of data or None when unknown, end of header)."""
    element_id, id_len = _vint(data, pos, end, is_id=True)
    size, size_len = _vint(data, pos + id_len, end)
    body = pos + id_len + size_len
    if size is not None and body + size > end:
        raise Malformed("element runs past its parent")
    return element_id, body, (None if size is None else body + size)


def _void(data: bytearray, pos: int, stop: int) -> None:
    length = stop - pos
    data[pos:stop] = bytes(length)
    data[pos] = VOID
    if length - 2 <= 126:
        data[pos + 1] = 0x80 | (length - 2)
    else:
        data[pos + 1:pos + 9] = b"\x01" + (length - 9).to_bytes(7, "big")


def _skip_unknown_cluster(data, pos: int, end: int) -> int:
    while pos < end:
        element_id, body, stop = _element(data, pos, end)
        if element_id in SEGMENT_LEVEL or element_id in (SEGMENT, EBML_HEADER):
            return pos
        if stop is None:
            raise Malformed("unknown size inside a cluster")
        pos = stop
    return end


def _clean_segment(data: bytearray, pos: int, end: int) -> None:
    while pos < end:
        element_id, body, stop = _element(data, pos, end)
        if stop is None:
            if element_id != CLUSTER:
                raise Malformed("unknown size outside a cluster")
            pos = _skip_unknown_cluster(data, body, end)
            continue
        if element_id in (TAGS, ATTACHMENTS):
            _void(data, pos, stop)
        elif element_id == INFO:
            child = body
            while child < stop:
                child_id, _body, child_stop = _element(data, child, stop)
                if child_stop is None:
                    raise Malformed("unknown size in Info")
                if child_id in INFO_STRIP:
                    _void(data, child, child_stop)
                child = child_stop
        pos = stop


def clean_ebml(data: bytes) -> bytes:
    """A WEBM/Matroska file with its Tags, Attachments, title and date voided (module doc)."""
    out = bytearray(data)
    end = len(out)
    element_id, body, stop = _element(out, 0, end)
    if element_id != EBML_HEADER or stop is None:
        raise Malformed("no EBML header")
    doc_type, child = b"", body
    while child < stop:
        child_id, child_body, child_stop = _element(out, child, stop)
        if child_stop is None:
            raise Malformed("unknown size in the EBML header")
        if child_id == DOC_TYPE:
            doc_type = bytes(out[child_body:child_stop]).rstrip(b"\x00")
        child = child_stop
    if doc_type not in (b"webm", b"matroska"):
        raise Malformed("not a WEBM or Matroska document")
    pos, segments = stop, 0
    while pos < end:
        if not any(out[pos:end]):
            break  # zero padding at the end
        element_id, body, stop = _element(out, pos, end)
        if element_id == SEGMENT:
            segments += 1
            _clean_segment(out, body, end if stop is None else stop)
            pos = end if stop is None else stop
        elif element_id in (VOID, 0xBF) and stop is not None:  # Void, CRC-32
            pos = stop
        else:
            raise Malformed("unexpected top-level element")
    if not segments:
        raise Malformed("no Segment")
    return bytes(out)


# --- PDF ---------------------------------------------------------------------------------------

def clean_pdf(data: bytes) -> bytes:
    """The PDF written again without /Info, XMP or unreferenced objects (module doc).
    Malformed when pypdf cannot read it or it is encrypted."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Malformed("encrypted")
        if len(reader.pages) < 1:
            raise Malformed("no pages")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        for obj in writer._objects:
            if isinstance(obj, DictionaryObject):
                obj.pop("/Metadata", None)
                obj.pop("/PieceInfo", None)
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        _clean_embedded_jpegs(writer)
        out = io.BytesIO()
        writer.write(out)
    except Malformed:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for broken files
        log.info("PDF refused: %s: %s", type(exc).__name__, exc)
        raise Malformed(str(exc)) from None
    return out.getvalue()


def _clean_embedded_jpegs(writer) -> None:
    """A JPEG image stream (``/DCTDecode``) that carries EXIF or XMP (a phone's scanner app:
    camera, time, GPS) is re-encoded by Pillow without them (quality 92, ICC profile kept);
    other images are left byte for byte."""
    from PIL import Image
    from pypdf.generic import ArrayObject, StreamObject

    for obj in writer._objects:
        if not isinstance(obj, StreamObject) or obj.get("/Subtype") != "/Image":
            continue
        filters = obj.get("/Filter")
        if isinstance(filters, ArrayObject):
            filters = filters[0] if len(filters) == 1 else None
        if filters != "/DCTDecode":
            continue
        raw = obj._data
        head = raw[:131072]
        if b"Exif\x00" not in head and b"http://ns.adobe.com/xap/" not in head:
            continue
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            out = io.BytesIO()
            image.save(out, "JPEG", quality=92, icc_profile=image.info.get("icc_profile"))
        obj._data = out.getvalue()


# --- the entry point for core.uploads ------------------------------------------------------------

def clean_document(data: bytes, kind, *, name: str) -> bytes:
    """``data`` of ``kind`` (core.uploads MP4, THREE_GP, WEBM or PDF) without its metadata;
    a ValidationError naming ``name`` when the file cannot be read as that kind."""
    cleaner = {"MP4": clean_iso, "3GP": clean_iso, "WEBM": clean_ebml, "PDF": clean_pdf}[kind.name]
    try:
        return cleaner(data)
    except Malformed:
        if kind.name == "PDF" and b"/Encrypt" in data:
            message = _("%(name)s is a password-protected PDF. Save it again without a password "
                        "and send that copy.")
        elif kind.name == "PDF":
            message = _("%(name)s starts like a PDF but cannot be read as one (damaged or "
                        "incomplete). Save or scan it again.")
        else:
            message = _("%(name)s starts like a video (%(kind)s) but cannot be read as one "
                        "(damaged or incomplete). Record or export the video again.")
        raise ValidationError(message % {"name": name, "kind": kind.name},
                              code="unreadable") from None
    except RecursionError:
        raise ValidationError(_("%(name)s is nested too deeply to be read.") % {"name": name},
                              code="unreadable") from None
