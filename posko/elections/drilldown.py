"""Drill-down over the Pemda's regions: Pemda → kecamatan → kelurahan → TPS.

Roll-up pages of every module (logistics readiness and requirements, workers' staffing,
coverage and screening…) show the children of the place the user is at, with crumbs
back up and CSV/XLSX exports of the same rows (large ones as background jobs).
``?kecamatan=`` / ``?kelurahan=`` pick the place; without them a camat starts at their
kecamatan and a lurah at their kelurahan. A place outside the user's scope is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core.export_jobs import Table, TableExportMixin
from posko.regions.models import Kecamatan, Kelurahan, Pemda


@dataclass
class Level:
    """Where the user is; its rows are the children (kecamatan, kelurahan or TPS)."""

    name: str  # "pemda", "kecamatan" or "kelurahan"
    kecamatan: Kecamatan | None = None
    kelurahan: Kelurahan | None = None
    kecamatan_list: list | None = None  # the visible kecamatan, at the Pemda level

    @property
    def title(self) -> str:
        if self.kelurahan:
            return f"{self.kelurahan.kind_label} {self.kelurahan.name}"
        if self.kecamatan:
            return f"{_('Kecamatan')} {self.kecamatan.name}"
        pemda = Pemda.current()
        return str(pemda) if pemda else _("Whole Pemda")

    @property
    def key(self) -> str:
        """The column that groups rows into this level's children."""
        return {"pemda": "kecamatan_id", "kecamatan": "kelurahan_id"}.get(self.name, "tps_id")

    @property
    def child_label(self) -> str:
        return {"pemda": _("Kecamatan"), "kecamatan": _("Kelurahan")}.get(self.name, "TPS")

    def query(self) -> str:
        if self.kelurahan:
            return f"kelurahan={self.kelurahan.code}"
        if self.kecamatan:
            return f"kecamatan={self.kecamatan.code}"
        return ""

    def narrow(self, queryset):
        """Rows of ``queryset`` (with kecamatan_id/kelurahan_id) inside this place; the
        kecamatan is always given so the (…, kecamatan, kelurahan) indexes apply."""
        if self.kelurahan:
            return queryset.filter(kecamatan_id=self.kecamatan.code,
                                   kelurahan_id=self.kelurahan.code)
        if self.kecamatan:
            return queryset.filter(kecamatan_id=self.kecamatan.code)
        return queryset

    def children(self, user) -> list[tuple[str, str, str]] | None:
        """(code, name, link query) of the child regions, in display order; None at a
        kelurahan (its rows are TPS, which each view lists itself)."""
        if self.name == "pemda":
            kecamatan = self.kecamatan_list
            if kecamatan is None:
                kecamatan = list(Kecamatan.objects.visible_to(user).order_by("name"))
            return [(k.code, k.name, f"kecamatan={k.code}") for k in kecamatan]
        if self.name == "kecamatan":
            return [(k.code, k.name, f"kelurahan={k.code}") for k in Kelurahan.objects.visible_to(
                user).filter(kecamatan=self.kecamatan).order_by("name")]
        return None


def resolve_level(request) -> Level:
    user = request.user
    kel_code = request.GET.get("kelurahan", "").strip()
    kec_code = request.GET.get("kecamatan", "").strip()
    if not kel_code and not kec_code:
        kel_code = getattr(user, "scope_kelurahan_id", None) or ""
        kec_code = "" if kel_code else (getattr(user, "scope_kecamatan_id", None) or "")
    if kel_code:
        kelurahan = Kelurahan.objects.visible_to(user).select_related("kecamatan").filter(
            code=kel_code).first()
        if kelurahan is None:
            raise Http404
        return Level("kelurahan", kelurahan.kecamatan, kelurahan)
    if kec_code:
        kecamatan = Kecamatan.objects.visible_to(user).filter(code=kec_code).first()
        if kecamatan is None:
            raise Http404
        return Level("kecamatan", kecamatan)
    return Level("pemda", kecamatan_list=list(Kecamatan.objects.visible_to(user).order_by("name")))


class DrillDownView(LoginRequiredMixin, TableExportMixin, TemplateView):
    """A roll-up page: subclasses set ``url_name`` and ``export_name`` and implement
    :meth:`fill`, which adds the roll-up (and ``export_header`` and ``export_rows``) to the
    context; ``?export=csv|xlsx`` then downloads those rows (audited; from
    ``POSKO_EXPORT_BACKGROUND_ROWS`` rows on, prepared by a background job)."""

    url_name = ""
    export_name = ""

    def crumbs(self, level: Level) -> list[tuple[str, str]]:
        if level.name == "pemda":
            return []
        base = reverse(self.url_name)
        user = self.request.user
        crumbs = []
        if not getattr(user, "is_region_bound", False):
            crumbs.append((Level("pemda").title, base))
        if level.kelurahan and not getattr(user, "scope_kelurahan_id", None):
            crumbs.append((Level("kecamatan", level.kecamatan).title,
                           f"{base}?kecamatan={level.kecamatan.code}"))
        return crumbs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.drill_context())
        if context["election"] is not None:
            self.fill(context, context["election"], context["level"])
        return context

    def fill(self, context, election, level) -> None:
        """Add the roll-up of ``election`` at ``level`` (the area in the URL) to ``context``."""
        raise NotImplementedError

    def drill_context(self) -> dict:
        self.level = level = resolve_level(self.request)
        query = level.query()
        return {"election": self.request.election, "level": level, "crumbs": self.crumbs(level),
                "query": query, "export_query": f"{query}&" if query else "",
                "child_label": level.child_label}

    def export_table(self, kind: str) -> Table:
        """The roll-up's rows (``export_header``/``export_rows`` of :meth:`fill`) at the level
        in the URL; the file is named after the place, e.g. ``kesiapan-logistik-35.73.02``."""
        context = self.get_context_data(**self.kwargs)
        if context["election"] is None:
            raise Http404
        place = self.level.kelurahan or self.level.kecamatan
        rows = context["export_rows"]
        return Table(f"{self.export_name}-{place.code if place else 'pemda'}",
                     context["export_header"], rows, len(rows), sheet=self.export_name,
                     filter=self.export_filter() or self.level.query() or "pemda")

    def get(self, request, *args, **kwargs):
        kind = request.GET.get("export")
        if kind in ("csv", "xlsx") and request.election is not None:
            return self.export_response(kind)  # a large one as a background job
        return self.render_to_response(self.get_context_data(**kwargs))
