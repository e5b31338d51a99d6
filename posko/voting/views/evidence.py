"""C.Hasil photos: the upload from the TPS page, the served copy (no metadata), the original
for the Desk admin only, and the list of photos with their SHA-256 (CSV/XLSX)."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core.evidence_files import original_response
from posko.core.export_jobs import Table, TableExportMixin
from posko.core.views import ElectionRequiredMixin
from posko.voting import services
from posko.voting.access import may_report
from posko.voting.forms import PhotoForm, ReportForm
from posko.voting.models import ResultPhoto, Source
from posko.voting.services import evidence
from posko.voting.views.results import TpsDayView


class PhotoUploadView(TpsDayView):
    """POST of one C.Hasil page photo from the TPS page (``?`` none; the contest in the URL)."""

    http_method_names = ["post"]

    def post(self, request, pk, contest_pk):
        tps = self.tps()  # another region's TPS: 404 first
        if not may_report(request.user, tps):
            raise PermissionDenied
        contest = next((c for c in services.contests_at(self.election, tps)
                        if c.pk == contest_pk), None)
        if contest is None:
            raise Http404
        form = PhotoForm(request.POST, request.FILES, prefix=f"f{contest.pk}")
        if form.is_valid():
            data = form.cleaned_data
            try:
                evidence.add_photo(tps, contest, actor=request.user, election=self.election,
                                   source=data["source"], page=data["page"],
                                   upload=data["image"], reason=data["reason"],
                                   device=request.META.get("HTTP_USER_AGENT", ""))
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return HttpResponseRedirect(
                    reverse("voting:tps", args=[tps.pk]) + f"#photos-{contest.pk}")
        return self.render_page(tps, ReportForm(day=services.day_of(tps)), status=400,
                                photo_form=(contest.pk, form))


def _visible_photo(request, pk) -> ResultPhoto:
    photo = ResultPhoto.objects.visible_to(request.user).filter(pk=pk).select_related(
        "tps").first()
    if photo is None:
        raise Http404
    return photo


def _file_response(field, *, content_type: str, filename: str, attachment: bool):
    try:
        handle = field.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=attachment,
                            filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_name(photo: ResultPhoto, name: str, suffix: str = "") -> str:
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return (f"chasil-tps{photo.tps.number:03d}-{photo.kelurahan_id}-c{photo.contest_id}-"
            f"{photo.source}-p{photo.page}-v{photo.version}{suffix}{extension}")


class PhotoView(LoginRequiredMixin, View):
    """The served copy (no metadata) for anyone who may see the TPS; never the original."""

    def get(self, request, pk):
        photo = _visible_photo(request, pk)
        return _file_response(photo.image, content_type=photo.content_type,
                              filename=_file_name(photo, photo.image.name), attachment=False)


class PhotoOriginalView(LoginRequiredMixin, View):
    """The original as uploaded (with its metadata, the bytes the SHA-256 is of): the Desk
    admin only, for an evidence dispute; each download is audited. Others: 404 outside
    their scope, 403 inside it."""

    def get(self, request, pk):
        photo = _visible_photo(request, pk)
        return original_response(
            request, photo, photo.original, allowed=request.user.is_desk_admin,
            message=_("original C.Hasil photo downloaded (SHA-256 %(sha)s)") % {
                "sha": photo.sha256},
            filename=_file_name(photo, photo.original.name, "-asli"))


class PhotoListView(ElectionRequiredMixin, LoginRequiredMixin, TableExportMixin, TemplateView):
    """Every C.Hasil photo in scope (all versions), newest first, with its SHA-256;
    ``?kelurahan=`` narrows it; CSV/XLSX of the same rows."""

    template_name = "voting/_photos_page.html"
    paginate_by = 50

    def queryset(self):
        qs = ResultPhoto.objects.visible_to(self.request.user).filter(
            election=self.election).select_related(
            "tps__kelurahan", "contest", "uploaded_by").order_by("-uploaded_at", "-pk")
        kelurahan = self.request.GET.get("kelurahan")
        if kelurahan:
            qs = qs.filter(kelurahan_id=kelurahan)
        return qs

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") in ("csv", "xlsx"):
            return self.export_response(request.GET["export"])
        page = Paginator(self.queryset(), self.paginate_by).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(self.get_context_data(
            page=page, querystring=query.urlencode(),
            export_query=query.urlencode()))

    def export_table(self, kind: str) -> Table:
        qs = self.queryset()
        header = [_("Kecamatan"), _("Kelurahan"), "TPS", _("Contest"), _("Source"), _("Page"),
                  _("Version"), _("Current"), "SHA-256", _("Size (bytes)"), _("Uploaded by"),
                  _("Uploaded at"), _("Device"), _("Reason")]

        def rows():
            for p in qs.iterator(chunk_size=2000):
                who = p.uploaded_by
                yield [p.kecamatan_id, p.tps.kelurahan.name, p.tps.number, str(p.contest),
                       Source(p.source).label, p.page, p.version,
                       _("yes") if p.is_current else _("no"), p.sha256, p.size,
                       (who.get_full_name() or who.username) if who else "",
                       timezone.localtime(p.uploaded_at).strftime("%Y-%m-%d %H:%M:%S"),
                       p.device, p.reason]

        return Table("foto-chasil", header, rows(), qs.count(), filter=self.export_filter(),
                     sheet="Foto C.Hasil")
