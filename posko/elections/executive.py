"""The executive dashboard: one screen for the Wali Kota / Sekda (a phone, and the command
room's TV with ``?tv=1``) and its PDF with the letterhead.

The page shows H-n and the stage (this app's own data, like the beranda) and then every
section modules register in :mod:`posko.core.executive` (readiness by kecamatan, top risks,
open serious incidents, workers' incidents and BPJS claims, on voting day the situation
room's figures); a module that is absent shows nothing. It lives here, beside the beranda,
because it reads the election's stages, and it imports no module.

Who: the Desk admin and the observers (the leadership's read-only accounts) see the
Pemda; a kecamatan operator (camat) sees their kecamatan, a kelurahan operator (lurah)
their kelurahan: every section reads ``visible_to(user)``. Agency operators get a 403:
the page sums every agency's figures for the leadership, and their work is in their
modules' pages.

The page refreshes its content itself every 60 s (HTMX polling, no held connection). The
answer carries an ETag over the figures (user, language, day, the sections' data), so a
screen whose figures did not change gets a 304 and swaps nothing.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View

from posko.accounts.models import Role
from posko.core import audit, clock, etags, executive
from posko.core.reports import Report, Section, Table, current_letterhead, render_pdf

ALLOWED_ROLES = (Role.ADMIN, Role.PEMANTAU, Role.KECAMATAN, Role.KELURAHAN)
REFRESH_SECONDS = 60


def may_view(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and user.effective_role in ALLOWED_ROLES)


def h_label(election, today) -> str:
    days = (election.voting_date - today).days
    return "H" if days == 0 else (f"H-{days}" if days > 0 else f"H+{-days}")


def stage_lines(election, today) -> tuple[list, object]:
    """(the stages running today, the next one)."""
    stages = list(election.stages.all())
    current = [s for s in stages if s.status(today) == "ongoing"]
    upcoming = next((s for s in stages if s.status(today) == "upcoming"), None)
    return current, upcoming


class ExecutiveMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def figures(self):
        election = self.request.election
        today = clock.today()
        data = {"election": election, "today": today, "sections": [], "h_label": "",
                "current_stages": [], "next_stage": None}
        if election is None:
            return data
        data["h_label"] = h_label(election, today)
        data["current_stages"], data["next_stage"] = stage_lines(election, today)
        data["sections"] = executive.sections_for(self.request.user, election, today)
        return data


class ExecutiveView(ExecutiveMixin, View):
    template_name = "elections/executive.html"

    def get(self, request, *args, **kwargs):
        data = self.figures()
        tv = request.GET.get("tv") == "1"
        election = data["election"]
        tag = etags.etag(request.user.pk, getattr(election, "pk", None), tv, data["today"],
                         translation.get_language(), data["h_label"],
                         [(s.pk, s.name) for s in data["current_stages"]],
                         getattr(data["next_stage"], "pk", None), repr(data["sections"]))
        if etags.matches(request, tag):
            return etags.not_modified(tag)
        response = render(request, self.template_name, {
            **data, "tv": tv, "refresh_seconds": REFRESH_SECONDS, "now": clock.now(),
            "scope_label": request.user.scope_label})
        response["ETag"] = tag
        response["Cache-Control"] = "private, no-cache"
        return response


def executive_report(data, scope_label: str) -> Report:
    """The dashboard as a printable report: the same figures and tables, section by section."""
    election = data["election"]
    now = timezone.localtime(clock.now())
    if election is None:
        return Report(title=_("Executive summary"), subtitle=scope_label, date=now.date())
    stage = "; ".join(s.name for s in data["current_stages"]) or (
        _("next: %(stage)s") % {"stage": data["next_stage"].name} if data["next_stage"] else "")
    report = Report(title=_("Executive summary"),
                    subtitle=" · ".join(p for p in (str(election), data["h_label"], stage,
                                                    scope_label) if p),
                    date=now.date())
    for section in data["sections"]:
        rows = [[card.label, str(card.value), card.note] for card in section.figures]
        tables = [Table([_("Figure"), _("Value"), _("Note")], rows, widths=[45, 20, 35])] \
            if rows else []
        report.sections.append(Section(section.title, list(section.notes),
                                       tables + list(section.tables), key=section.key))
    return report


class ExecutivePdfView(ExecutiveMixin, View):
    """The same figures as a PDF with the letterhead; the download is audited."""

    def get(self, request, *args, **kwargs):
        report = executive_report(self.figures(), request.user.scope_label)
        audit.record("export", actor=request.user, object_repr="ringkasan-pimpinan",
                     message=f"pdf: {len(report.sections)} bagian")
        response = HttpResponse(render_pdf(report, current_letterhead()),
                                content_type="application/pdf")
        stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="ringkasan-pimpinan-{stamp}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
