"""The PDF of box labels (fpdf2): A4, 2 × 6 labels a page with cut lines, each with its QR
(segno, drawn as vector rectangles: sharp at any printer resolution, no image library) and
the TPS, kelurahan, kecamatan, item, contest and box number in words."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _
from fpdf import FPDF

from posko.core.reports import PDF_ENCODING, pdf_safe
from posko.logistics.labels import label_code, labels_per_item

COLUMNS, ROWS = 2, 6
MARGIN = 6.0
QR_SIZE = 34.0  # mm, quiet zone included


@dataclass(frozen=True)
class Label:
    code: str
    tps: str
    kelurahan: str
    kecamatan: str
    item: str
    contest: str
    n: int
    total: int


def build_labels(election, requirements) -> list[Label]:
    """One label per box of every (TPS, item) requirement; ``requirements`` have ``tps``
    (with kelurahan and kecamatan), ``item`` (with contest) and ``quantity``."""
    everyone = _("All contests")
    labels = []
    for req in requirements:
        tps, item = req.tps, req.item
        total = labels_per_item(item, req.quantity)
        for n in range(1, total + 1):
            labels.append(Label(
                code=label_code(election.pk, tps.kelurahan_id, tps.number, item.code, n),
                tps=tps.label, kelurahan=tps.kelurahan.name, kecamatan=tps.kecamatan.name,
                item=item.name, contest=item.contest.name if item.contest_id else everyone,
                n=n, total=total))
    return labels


def label_qr(code: str) -> segno.QRCode:
    """The QR of a label. The mask is fixed: choosing the best of eight (segno's default)
    takes ~5 times longer and any mask is valid for every reader; a kecamatan prints
    thousands of labels."""
    return segno.make_qr(code, error="m", mask=2)


def _qr(pdf: FPDF, code: str, x: float, y: float, size: float) -> None:
    """The QR as filled rectangles, one per run of dark modules in a row, written as raw
    PDF operators in one path (fpdf2's ``rect`` per run is ~50 times slower)."""
    matrix = label_qr(code).matrix
    modules = len(matrix) + 4  # a quiet zone of 2 modules each side
    step = size / modules
    k, page_height = pdf.k, pdf.h
    ops = []
    for row_index, row in enumerate(matrix):
        top = y + (row_index + 2) * step
        start = None
        for col_index, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                ops.append(f"{(x + (start + 2) * step) * k:.2f} {(page_height - top) * k:.2f} "
                           f"{(col_index - start) * step * k:.2f} {-step * k:.2f} re")
                start = None
    pdf._out("0 g " + " ".join(ops) + " f")


def _fit(pdf: FPDF, text: str, room: float) -> str:
    """``text`` cut with "…" to fit ``room`` mm in the current font (a label never spills into
    its neighbour)."""
    text = pdf_safe(text)
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _two_lines(pdf: FPDF, text: str, room: float) -> list[str]:
    words, lines = pdf_safe(text).split(), [""]
    for word in words:
        candidate = f"{lines[-1]} {word}".strip()
        if pdf.get_string_width(candidate) <= room or not lines[-1]:
            lines[-1] = candidate
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [_fit(pdf, line, room) for line in lines]


def render_labels(labels: list[Label], title: str) -> bytes:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.core_fonts_encoding = PDF_ENCODING  # "…", "–", curly quotes (like the reports)
    pdf.set_title(pdf_safe(title))
    pdf.set_creator("Posko")
    width = (pdf.w - 2 * MARGIN) / COLUMNS
    height = (pdf.h - 2 * MARGIN) / ROWS
    pdf.set_fill_color(0, 0, 0)
    box_word = _("Box")
    for index, label in enumerate(labels):
        slot = index % (COLUMNS * ROWS)
        if slot == 0:
            pdf.add_page()
            pdf.set_draw_color(170, 170, 170)
            pdf.set_line_width(0.1)
            pdf.set_dash_pattern(dash=1, gap=1)
            for c in range(COLUMNS + 1):
                pdf.line(MARGIN + c * width, MARGIN, MARGIN + c * width, pdf.h - MARGIN)
            for r in range(ROWS + 1):
                pdf.line(MARGIN, MARGIN + r * height, pdf.w - MARGIN, MARGIN + r * height)
            pdf.set_dash_pattern()
        x = MARGIN + (slot % COLUMNS) * width
        y = MARGIN + (slot // COLUMNS) * height
        _qr(pdf, label.code, x + 2, y + (height - QR_SIZE) / 2 - 3, QR_SIZE)
        left = x + QR_SIZE + 4
        room = width - QR_SIZE - 6
        pdf.set_xy(left, y + 4)
        pdf.set_font("Helvetica", "B", 15)
        pdf.cell(room, 7, _fit(pdf, label.tps, room), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for line in (f"Kel. {label.kelurahan}", f"Kec. {label.kecamatan}"):
            pdf.set_x(left)
            pdf.cell(room, 4.5, _fit(pdf, line, room), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 9.5)
        for line in _two_lines(pdf, label.item, room):
            pdf.set_x(left)
            pdf.cell(room, 4.3, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8.5)
        pdf.set_x(left)
        pdf.cell(room, 4.3, _fit(pdf, label.contest, room), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(left)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(room, 6, pdf_safe(f"{box_word} {label.n}/{label.total}"), new_x="LMARGIN",
                 new_y="NEXT")
        pdf.set_font("Courier", "", 6.5)
        pdf.set_xy(x + 2, y + height - 5)
        pdf.cell(width - 4, 4, _fit(pdf, label.code, width - 4))
    if not labels:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 10, pdf_safe(_("No labels: no requirements computed for this place.")))
    return bytes(pdf.output())
