from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Sum
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import election as request_election
from posko.core import tps_panels
from posko.core.views import (
    AdminOnlyMixin,
    ImportTemplateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectImportView,
    ObjectListView,
)
from posko.elections import services as election_services
from posko.elections.filters import TpsFilter
from posko.elections.forms import (
    CandidatePairForm,
    ContestForm,
    ElectionForm,
    StageForm,
    TpsForm,
)
from posko.elections.imports import TPS_COLUMNS, TpsImporter
from posko.elections.models import CandidatePair, Contest, Election, Stage, Tps
from posko.regions.models import Kelurahan


def election_or_404(request) -> Election:
    if request.election is None:
        raise Http404(_("There is no active election yet."))
    return request.election


class TpsQuerysetMixin:
    model = Tps

    def get_base_queryset(self):
        return Tps.objects.select_related("kelurahan", "kecamatan", "election")


class TpsListView(TpsQuerysetMixin, ObjectListView):
    filterset_class = TpsFilter
    template_name = "elections/tps_list.html"
    export_name = "tps"

    def get_base_queryset(self):
        election = self.request.election
        qs = super().get_base_queryset()
        return qs.filter(election=election) if election else qs.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filterset = kwargs["filterset"]
        qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
        context["totals"] = qs.aggregate(tps=Count("pk"), dpt=Sum("dpt_total"), men=Sum("dpt_men"),
                                         women=Sum("dpt_women"))
        context["election"] = self.request.election
        context["can_edit"] = self.request.user.can_edit_registry
        kelurahan = Kelurahan.objects.visible_to(self.request.user).select_related("kecamatan")
        if filterset.form.data.get("kecamatan"):
            kelurahan = kelurahan.filter(kecamatan_id=filterset.form.data["kecamatan"])
        context["kelurahan_options"] = kelurahan.order_by("kecamatan__name", "name")
        context["special_choices"] = Tps.SpecialLocation.choices[1:]
        return context

    def export_header(self):
        return [c.name for c in TPS_COLUMNS[1:]]  # the import's columns but the template's "no"

    def export_rows(self, queryset):
        for tps in queryset.iterator(chunk_size=2000):
            yield [tps.kelurahan_id, tps.kecamatan.name, tps.kelurahan.name, tps.number, tps.address,
                   tps.rt, tps.rw, tps.latitude, tps.longitude, tps.dpt_men, tps.dpt_women,
                   tps.special_location, tps.special_location_note,
                   "ya" if tps.accessible else "tidak", tps.notes]


class TpsDetailView(TpsQuerysetMixin, ObjectDetailView):
    """Everything about one TPS: its registry data, then one panel per module
    (``posko.core.tps_panels``; an absent module shows no panel)."""

    template_name = "elections/tps_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = tps_panels.panels_for(kwargs["object"], self.request)
        return context


class TpsEditView(TpsQuerysetMixin, ObjectEditView):
    form_class = TpsForm
    template_name = "elections/tps_edit.html"

    def new_object(self):
        tps = Tps(election=election_or_404(self.request))
        code = self.request.GET.get("kelurahan")
        if code and Kelurahan.objects.editable_by(self.request.user).filter(code=code).exists():
            tps.kelurahan_id = code
        return tps

    def get_form(self, obj, data=None):
        return self.form_class(data=data, instance=obj, user=self.request.user)

    def create(self, obj, *, actor):
        election_services.create_tps(obj, actor=actor)

    def update(self, obj, *, actor, before):
        election_services.update_tps(obj, actor=actor, before=before)


class TpsDeleteView(TpsQuerysetMixin, ObjectDeleteView):
    success_url_name = "elections:tps_list"

    def delete_object(self, obj, *, actor):
        election_services.delete_tps(obj, actor=actor)


class TpsHistoryView(TpsQuerysetMixin, ObjectHistoryView):
    pass


class ElectionHistoryView(ObjectHistoryView):
    model = Election
    election_kwarg = "pk"


class TpsImportView(ObjectImportView):
    importer_class = TpsImporter
    template_name = "elections/tps_import.html"
    success_url_name = "elections:tps_list"
    template_url_name = "elections:tps_import_template"

    def get_importer(self):
        return TpsImporter(actor=self.request.user, election=election_or_404(self.request))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.request.election
        return context


class TpsImportTemplateView(ImportTemplateView):
    columns = TPS_COLUMNS
    filename = "template-impor-tps"
    sheet_title = "TPS"


# --- elections -------------------------------------------------------------------

class ElectionListView(LoginRequiredMixin, TemplateView):
    template_name = "elections/election_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["elections"] = Election.objects.visible_to(self.request.user).annotate(
            tps_count=Count("tps"), dpt=Sum("tps__dpt_total"))
        return context


class ElectionDetailView(LoginRequiredMixin, TemplateView):
    template_name = "elections/election_detail.html"
    election_kwarg = "pk"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = get_object_or_404(Election.objects.visible_to(self.request.user), pk=kwargs["pk"])
        context["election"] = election
        context["contests"] = election.contests.select_related("provinsi", "kabkota").prefetch_related(
            "pairs")
        context["is_admin"] = self.request.user.is_desk_admin
        return context


class AdminEditView(ObjectEditView):
    """Elections and their parts are the Desk Pilkada admin's to create and change."""

    template_name = "elections/election_edit.html"

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin


class ElectionEditView(AdminEditView):
    model = Election
    form_class = ElectionForm
    election_kwarg = "pk"


class ElectionPartEditView(AdminEditView):
    """A contest, candidate pair or stage, created under the election in the URL."""

    parent_field = "election"

    def parent(self):
        return get_object_or_404(Election.objects.visible_to(self.request.user),
                                 pk=self.kwargs["election"])

    def new_object(self):
        return self.model(**{self.parent_field: self.parent()})


class ContestEditView(ElectionPartEditView):
    model = Contest
    form_class = ContestForm


class StageEditView(ElectionPartEditView):
    model = Stage
    form_class = StageForm


class CandidatePairEditView(ElectionPartEditView):
    model = CandidatePair
    form_class = CandidatePairForm
    parent_field = "contest"

    def parent(self):
        return get_object_or_404(Contest.objects.visible_to(self.request.user),
                                 pk=self.kwargs["contest"])


class ElectionActivateView(AdminOnlyMixin, TemplateView):
    """Making an election the active one changes what every page shows: GET asks to
    confirm (a page with the button), POST does it. Desk Pilkada admins only."""

    template_name = "elections/election_activate.html"
    election_kwarg = "pk"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = get_object_or_404(Election.objects.visible_to(self.request.user),
                                                pk=kwargs["pk"])
        context["current"] = Election.objects.filter(is_active=True).first()
        return context

    def post(self, request, *args, **kwargs):
        election = get_object_or_404(Election.objects.visible_to(request.user), pk=kwargs["pk"])
        election_services.activate_election(election, actor=request.user)
        messages.success(request, _("%(election)s is now the active election.") % {"election": election})
        return HttpResponseRedirect(reverse("elections:election_detail", args=[election.pk]))


class ElectionSwitchView(AdminOnlyMixin, View):
    """The header's switcher: an admin looks at another election, read-only, beside the
    active one (POST ``election``: its pk; empty: back to the active election)."""

    def post(self, request, *args, **kwargs):
        election = None
        raw = request.POST.get("election", "")
        if raw:
            try:
                election = Election.objects.visible_to(request.user).get(pk=int(raw))
            except (Election.DoesNotExist, ValueError, OverflowError):
                raise Http404 from None
        if election is None or election.is_active:
            request.session.pop(request_election.SESSION_KEY, None)
            messages.success(request, _("Back to the active election."))
        else:
            request.session[request_election.SESSION_KEY] = election.pk
            messages.info(request, _("You are looking at %(election)s, read-only.") % {
                "election": election})
        return HttpResponseRedirect(reverse("home"))
