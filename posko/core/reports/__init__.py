"""Printable reports (package: document.py, pdf.py, xlsx.py): a small document model, its PDF and XLSX renderings, and the
registry of sections that modules contribute to the daily Desk Pilkada report.

A report is plain data: :class:`Report` holds :class:`Section` objects, each with
paragraphs and :class:`Table` objects. Builders produce that data; :func:`render_pdf`
(fpdf2, A4 portrait, the Pemda's letterhead on the first page, "Page n/m" and the
generation time in the footer) and :func:`render_xlsx` (one sheet per section,
spreadsheet formulas neutralised) turn it into files.

Modules add sections to the daily report with :func:`register_section` in their
``AppConfig.ready()``; :func:`build_report` calls every registered builder in order,
so a module that is not installed simply contributes nothing. Core imports no app:
the letterhead comes from a provider registered with
:func:`register_letterhead_provider`, like the Pemda provider of ``core.scope``.

The PDF uses the PDF core font Helvetica (no font file to ship, small output). Its
encoding is Windows-1252, which covers Indonesian text and the usual typography
("–", "•", "é", curly quotes); any other character is replaced by a close ASCII
equivalent or "?" (:func:`pdf_safe`).
"""

from posko.core.reports.document import (
    PDF_ENCODING,
    Letterhead,
    Report,
    Section,
    SectionSpec,
    Table,
    build_report,
    cell_text,
    current_letterhead,
    generated_label,
    pdf_safe,
    register_letterhead_provider,
    register_section,
    registered_sections,
    unregister_section,
)
from posko.core.reports.pdf import PDF_MAX_CELL_CHARS, render_pdf
from posko.core.reports.xlsx import render_xlsx

__all__ = [
    "PDF_ENCODING", "PDF_MAX_CELL_CHARS", "Letterhead", "Report", "Section", "SectionSpec", "Table",
    "build_report", "cell_text", "current_letterhead", "generated_label", "pdf_safe",
    "register_letterhead_provider", "register_section", "registered_sections", "render_pdf",
    "render_xlsx", "unregister_section",
]
