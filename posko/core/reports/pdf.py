"""The PDF rendering of a report (fpdf2, A4 portrait, letterhead, "Page n/m")."""

from __future__ import annotations

from django.utils.translation import gettext as _
from fpdf import FPDF

from posko.core.reports.document import (
    PDF_ENCODING,
    Letterhead,
    Report,
    Table,
    _is_number,
    cell_text,
    current_letterhead,
    generated_label,
    pdf_safe,
)

# --- PDF --------------------------------------------------------------------------------------

PDF_MAX_CELL_CHARS = 1500  # a longer cell is cut: one cell must never outgrow a page


def _pdf_class():
    class ReportPDF(FPDF):
        footer_left = ""

        def footer(self):
            self.set_y(-13)
            self.set_font("Helvetica", "", 7.5)
            self.set_text_color(90, 90, 90)
            self.set_draw_color(180, 180, 180)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.cell(0, 6, pdf_safe(self.footer_left), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, pdf_safe(_("Page %(page)s/%(pages)s") % {
                "page": self.page_no(), "pages": "{nb}"}), align="R")
            self.set_text_color(0, 0, 0)

    return ReportPDF


def _column_widths(table: Table, columns: int) -> list[float]:
    if table.widths and len(table.widths) == columns:
        return list(table.widths)
    weights = []
    for index in range(columns):
        header = str(table.header[index]) if index < len(table.header) else ""
        values = [cell_text(row[index]) for row in table.rows[:200] if index < len(row)]
        longest_word = max((len(w) for w in header.split()), default=4)
        average = sum(len(v) for v in values) / len(values) if values else len(header)
        weights.append(min(max(average, longest_word, 4), 45))
    return weights


def _text_width(pdf):
    """A fast width function for the current core font (mm), same as get_string_width."""
    widths = pdf.current_font.cw
    scale = pdf.font_size_pt * 0.001 / pdf.k

    def width(text: str) -> float:
        return sum(widths[c] for c in text.encode(PDF_ENCODING).decode("latin-1")) * scale

    return width


def _wrap(text: str, room: float, width) -> list[str]:
    """Break ``text`` into lines no wider than ``room`` (words first, long words by character)."""
    lines = []
    space = width(" ")
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = width(word)
            if line and line_width + space + word_width <= room:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            while word_width > room and len(word) > 1:  # a word wider than the cell: cut it
                fits, over = 1, len(word) - 1
                while fits < over:  # the longest prefix that fits
                    middle = (fits + over + 1) // 2
                    if width(word[:middle]) <= room:
                        fits = middle
                    else:
                        over = middle - 1
                lines.append(word[:fits])
                word = word[fits:]
                word_width = width(word)
            line, line_width = word, word_width
        lines.append(line)
    return lines


def _pdf_table(pdf, table: Table) -> None:
    """A table with a shaded header row (repeated on every page), wrapping cells and numbers
    aligned right. Drawn directly (text, rect): several times faster than a generic layout
    engine, which matters for reports with hundreds of rows."""
    columns = max([len(table.header), *(len(r) for r in table.rows)])
    if columns == 0:
        return
    header = [pdf_safe(h) for h in table.header] + [""] * (columns - len(table.header))
    right = []
    for i in range(columns):
        values = [r[i] for r in table.rows if i < len(r) and r[i] not in (None, "")]
        right.append(bool(values) and all(_is_number(v) for v in values))
    weights = _column_widths(table, columns)
    widths = [pdf.epw * w / sum(weights) for w in weights]
    size, line_h, pad_x, pad_y = 8.5, 3.9, 1.2, 1.0
    max_lines = max(1, int((pdf.page_break_trigger - pdf.t_margin - 30) / line_h))

    def layout(cells, bold):
        pdf.set_font("Helvetica", "B" if bold else "", size)
        width = _text_width(pdf)
        lines = []
        for text, column_width in zip(cells, widths, strict=True):
            wrapped = _wrap(text, column_width - 2 * pad_x, width)
            if len(wrapped) > max_lines:
                wrapped = wrapped[:max_lines - 1] + [wrapped[max_lines - 1] + " …"]
            lines.append(wrapped)
        return lines, max(len(cell) for cell in lines) * line_h + 2 * pad_y, width

    def draw(laid_out, shaded):
        lines, height, width = laid_out
        pdf.set_font("Helvetica", "B" if shaded else "", size)
        x, y = pdf.l_margin, pdf.get_y()
        for index, (cell, column_width) in enumerate(zip(lines, widths, strict=True)):
            pdf.rect(x, y, column_width, height, style="DF" if shaded else "D")
            for number, line in enumerate(cell):
                baseline = y + pad_y + number * line_h + line_h * 0.74
                left = x + column_width - pad_x - width(line) if right[index] else x + pad_x
                pdf.text(left, baseline, line)
            x += column_width
        pdf.set_xy(pdf.l_margin, y + height)

    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(228, 232, 238)
    head = layout(header, True)
    if pdf.get_y() + head[1] + line_h + 2 * pad_y > pdf.page_break_trigger:
        pdf.add_page()
    draw(head, True)
    for values in table.rows:
        cells = []
        for index in range(columns):
            text = cell_text(values[index]) if index < len(values) else ""
            if len(text) > PDF_MAX_CELL_CHARS:
                text = text[:PDF_MAX_CELL_CHARS] + "…"
            cells.append(pdf_safe(text))
        row = layout(cells, False)
        if pdf.get_y() + row[1] > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_fill_color(228, 232, 238)
            draw(head, True)
        draw(row, False)
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)


def render_pdf(report: Report, letterhead: Letterhead | None = None) -> bytes:
    """The report as an A4 portrait PDF."""
    head = letterhead or current_letterhead()
    pdf = _pdf_class()(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = PDF_ENCODING
    pdf.footer_left = f"Posko · {generated_label(report.generated_at)}"
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(pdf_safe(report.title))
    pdf.set_creator("Posko")
    pdf.set_author(pdf_safe(head.name))
    pdf.add_page()

    # Letterhead (kop surat)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 6.5, pdf_safe(head.name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    for line in head.lines:
        if line:
            pdf.multi_cell(0, 5.5, pdf_safe(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8.5)
    for line in head.address_lines:
        if line:
            pdf.multi_cell(0, 4.2, pdf_safe(line), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + 1.2, pdf.w - pdf.r_margin, y + 1.2)
    pdf.ln(5)

    # Title
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(0, 6, pdf_safe(report.title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    if report.subtitle:
        pdf.multi_cell(0, 5, pdf_safe(report.subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    for section in report.sections:
        if pdf.get_y() > pdf.h - 45:  # keep a heading with the start of its content
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_fill_color(240, 240, 240)
        pdf.multi_cell(0, 6.5, pdf_safe(section.title), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_font("Helvetica", "", 9.5)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 4.8, pdf_safe(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        for table in section.tables:
            if table.caption:
                if pdf.get_y() > pdf.h - 35:
                    pdf.add_page()
                pdf.set_font("Helvetica", "B", 9.5)
                pdf.multi_cell(0, 5, pdf_safe(table.caption), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.5)
            if not table.rows:
                if table.empty:
                    pdf.set_font("Helvetica", "I", 9.5)
                    pdf.multi_cell(0, 4.8, pdf_safe(table.empty), new_x="LMARGIN", new_y="NEXT")
                    pdf.ln(1.5)
                continue
            _pdf_table(pdf, table)
        pdf.ln(2)
    return bytes(pdf.output())

