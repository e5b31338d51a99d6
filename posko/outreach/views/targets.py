"""Turnout targets and target groups."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.core.views import ElectionRequiredMixin
from posko.outreach import participation, services
from posko.outreach.forms import (
    GroupForm,
    SettingsForm,
    TargetForm,
)
from posko.outreach.models import (
    Activity,
    OutreachSettings,
    TargetGroup,
    TurnoutTarget,
)

# --- targets, settings, groups --------------------------------------------------------------

class TargetsView(ElectionRequiredMixin, LoginRequiredMixin, TemplateView):
    template_name = "outreach/targets.html"

    def context(self, election, settings_form=None, target_form=None):
        user = self.request.user
        settings = OutreachSettings.for_election(election)
        return self.get_context_data(
            election=election, settings=settings, is_admin=user.is_desk_admin,
            settings_form=settings_form or SettingsForm(instance=settings),
            target_form=target_form or TargetForm(user=user),
            targets=TurnoutTarget.objects.visible_to(user).filter(election=election)
            .select_related("kecamatan", "kelurahan"),
            caps=[(label, settings.cap_for(kind)) for kind, label in Activity.Kind.choices],
            history=participation.history_labels())

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(self.election))

    def post(self, request, *args, **kwargs):
        election = self.election
        if not request.user.is_desk_admin:
            raise PermissionDenied
        if "percent" in request.POST or "kecamatan" in request.POST:
            form = TargetForm(data=request.POST, user=request.user)
            if form.is_valid():
                try:
                    services.set_target(election, kecamatan=form.cleaned_data["kecamatan"],
                                        kelurahan=form.cleaned_data.get("kelurahan"),
                                        percent=form.cleaned_data.get("percent"),
                                        actor=request.user)
                except ValidationError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                else:
                    messages.success(request, _("Target saved."))
                    return HttpResponseRedirect(reverse("outreach:targets"))
            return self.render_to_response(self.context(election, target_form=form), status=400)
        settings = OutreachSettings.for_election(election)
        before = audit.snapshot(settings)
        form = SettingsForm(data=request.POST, instance=settings)
        if form.is_valid():
            obj = form.save(commit=False)
            obj.caps = {kind: form.cleaned_data[f"cap_{kind}"] for kind in Activity.Kind.values}
            try:
                services.update_settings(obj, actor=request.user, before=before,
                                         expected_version=form.cleaned_data["version"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Settings saved."))
                return HttpResponseRedirect(reverse("outreach:targets"))
        return self.render_to_response(self.context(election, settings_form=form), status=400)


class GroupListView(LoginRequiredMixin, TemplateView):
    template_name = "outreach/groups.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(groups=TargetGroup.objects.all(),
                       form=kwargs.get("form") or GroupForm(),
                       is_admin=self.request.user.is_desk_admin)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        pk = request.POST.get("pk")
        instance = TargetGroup.objects.filter(pk=pk).first() if pk else None
        form = GroupForm(data=request.POST, instance=instance)
        if form.is_valid():
            try:
                services.save_group(form.save(commit=False), actor=request.user)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved: %(object)s.") % {"object": form.instance})
                return HttpResponseRedirect(reverse("outreach:group_list"))
        return self.render_to_response(self.get_context_data(form=form), status=400)
