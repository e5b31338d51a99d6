"""The catalogue (items and norms) and the logistics settings of the request's election."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core.views import AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView
from posko.logistics.forms.catalogue import ItemForm, LogisticsSettingsForm
from posko.logistics.models import Item, LogisticsSettings
from posko.logistics.services import catalogue


class ItemListView(LoginRequiredMixin, TemplateView):
    """The election's catalogue; everyone signed in reads it, admins change it."""

    template_name = "logistics/item_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        items = list(Item.objects.visible_to(self.request.user).filter(election=election)
                     ) if election else []
        for item in items:
            item.norm_text = catalogue.norm_label(item, election.ballot_reserve_percent)
        context.update(election=election, items=items,
                       can_edit=bool(election) and self.request.user.is_desk_admin,
                       missing_defaults=catalogue.missing_defaults(election) if election else 0)
        return context


class ItemEditView(ElectionRequiredMixin, ObjectEditView):
    template_name = "logistics/item_edit.html"
    form_class = ItemForm

    def get_base_queryset(self):
        return Item.objects.filter(election=self.election)

    def can_create(self) -> bool:
        return self.request.user.is_desk_admin

    def new_object(self):
        return Item(election=self.election)

    def create(self, obj, *, actor):
        catalogue.create_item(obj, actor=actor)

    def update(self, obj, *, actor, before):
        catalogue.update_item(obj, actor=actor, before=before)

    def success_url(self, obj) -> str:
        return reverse("logistics:item_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["election"] = self.election
        return context


class CatalogueInstallView(LoginRequiredMixin, View):
    """POST: add the default catalogue's missing items to the request's election."""

    http_method_names = ["post"]

    def post(self, request):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        election = request.election
        if election is None:
            raise Http404
        added = catalogue.install_defaults(election, actor=request.user)
        if added:
            messages.success(request, _("%(n)s items of the default catalogue added; requirements "
                                        "computed for every TPS.") % {"n": added})
        else:
            messages.info(request, _("The catalogue already has every default item."))
        return HttpResponseRedirect(reverse("logistics:item_list"))


class SettingsView(AdminOnlyMixin, ElectionRequiredMixin, ObjectEditView):
    """The election's logistics settings (admins only): the row, or a new one with the
    defaults until it is first saved."""

    template_name = "logistics/settings_edit.html"
    form_class = LogisticsSettingsForm

    def can_create(self) -> bool:
        return True  # AdminOnlyMixin let only admins in

    def new_object(self):
        obj = LogisticsSettings.objects.filter(election=self.election).first()
        return obj or LogisticsSettings(election=self.election)

    def create(self, obj, *, actor):
        catalogue.save_settings(obj, actor=actor, before=None)

    def update(self, obj, *, actor, before):
        catalogue.save_settings(obj, actor=actor, before=before,
                                expected_version=self.expected_version())

    def success_url(self, obj) -> str:
        return reverse("logistics:settings")

    def success_message(self, obj) -> str:
        return _("Logistics settings saved.")
