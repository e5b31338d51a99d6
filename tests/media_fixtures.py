"""Small real files for upload tests, built by hand: an MP4 (ISO base media) with a GPS
``©xyz`` box and QuickTime metadata, a WEBM with Tags and a title, a PDF (fpdf2) with an
author, keywords and XMP. Each carries markers a test looks for after cleaning."""

from __future__ import annotations

import struct

from fpdf import FPDF

GPS = b"+07.9750+112.6200/"  # ISO 6709, what a phone writes in ©xyz
PERSON = "Budi Santoso"
MDAT = b"\x00\x00\x00\x01frame-bytes" * 4  # stands for the coded video


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, payload: bytes, version: int = 0) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def mvhd(created: int = 3_800_000_000) -> bytes:
    # version 0: creation, modification, timescale, duration, then the rest (zeros will do)
    return full_box(b"mvhd", struct.pack(">IIII", created, created, 1000, 2000) + bytes(80))


def mp4_bytes(*, brand: bytes = b"isom", gps: bool = True, moov: bool = True) -> bytes:
    """ftyp, moov (mvhd, trak with tkhd and udta, udta with ©xyz and ©nam, meta), mdat."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    udta = box(b"udta", (box(b"\xa9xyz", struct.pack(">HH", len(GPS), 0) + GPS) if gps else b"")
               + box(b"\xa9nam", struct.pack(">HH", len(PERSON), 0) + PERSON.encode()))
    meta = full_box(b"meta", box(b"keys", b"com.apple.quicktime.location.ISO6709")
                    + box(b"ilst", GPS))
    tkhd = full_box(b"tkhd", struct.pack(">III", 3_800_000_000, 3_800_000_000, 1) + bytes(72))
    trak = box(b"trak", tkhd + box(b"udta", box(b"name", b"Kamera Budi")))
    body = ftyp + (box(b"moov", mvhd() + trak + udta + meta) if moov else b"")
    return body + box(b"mdat", MDAT)


def _ebml(element_id: int, payload: bytes) -> bytes:
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + (0x01 << 56 | len(payload)).to_bytes(8, "big") + payload


UNKNOWN = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def webm_bytes(*, doc_type: bytes = b"webm") -> bytes:
    """EBML header, Segment of unknown size: Info (Title, DateUTC), Tracks, a Cluster of
    unknown size, Tags (a LOCATION tag)."""
    header = _ebml(0x1A45DFA3, _ebml(0x4286, b"\x01") + _ebml(0x4282, doc_type))
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, b"\x0f\x42\x40") + _ebml(0x7BA9, PERSON.encode())
                 + _ebml(0x4461, b"\x00" * 7 + b"\x01") + _ebml(0x4D80, b"Chrome"))
    tracks = _ebml(0x1654AE6B, _ebml(0xAE, _ebml(0xD7, b"\x01")))
    cluster = b"\x1f\x43\xb6\x75" + UNKNOWN + _ebml(0xE7, b"\x00") + _ebml(0xA3, MDAT)
    tags = _ebml(0x1254C367, _ebml(0x7373, _ebml(0x67C8, _ebml(0x45A3, b"LOCATION")
                                                + _ebml(0x4487, GPS))))
    return header + b"\x18\x53\x80\x67" + UNKNOWN + info + tracks + cluster + tags


def pdf_bytes(*, author: str = PERSON, keywords: str = "Jl. Melati 7 Malang") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Daftar hadir sosialisasi")
    pdf.set_author(author)
    pdf.set_keywords(keywords)
    pdf.set_creator("Pemindai HP")
    pdf.set_xmp_metadata(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        '22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/'
        f'1.1/"><dc:creator>{author} (XMP)</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>')
    return bytes(pdf.output())
