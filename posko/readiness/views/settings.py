"""Weights and thresholds of the election: everyone reads them, the Desk admin edits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.core import audit
from posko.readiness.services.settings import update_settings
from posko.readiness.views.overview import ReadinessPageMixin


def _unit(raw, label, errors):
    try:
        value = Decimal(raw)
    except (InvalidOperation, TypeError):
        errors.append(_("%(field)s: enter a number between 0 and 1.") % {"field": label})
        return None
    if not Decimal(0) <= value <= Decimal(1):
        errors.append(_("%(field)s: enter a number between 0 and 1.") % {"field": label})
        return None
    return value.quantize(Decimal("0.01"))


class SettingsView(ReadinessPageMixin, TemplateView):
    template_name = "readiness/settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settings, comps = self.common()
        context.update(settings=settings, components=comps,
                       can_edit=self.request.user.is_desk_admin,
                       history=list(audit.history(settings)[:20]),
                       errors=kwargs.get("errors", []))
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.is_desk_admin:
            raise PermissionDenied
        settings, comps = self.common()
        errors, weights = [], {}
        for comp in comps:
            raw = request.POST.get(f"weight_{comp['key']}", "")
            try:
                weights[comp["key"]] = int(raw)
                if not 0 <= weights[comp["key"]] <= 100:
                    raise ValueError
            except ValueError:
                errors.append(_("%(field)s: enter a whole number from 0 to 100.") % {
                    "field": comp["label"]})
        ready = _unit(request.POST.get("ready_threshold"), _("Index counted as ready"), errors)
        component = _unit(request.POST.get("component_threshold"),
                          _("Component counted as missing below"), errors)
        try:
            window = int(request.POST.get("forecast_window", ""))
            if not 1 <= window <= 14:
                raise ValueError
        except ValueError:
            window = None
            errors.append(_("Forecast: enter a number of days from 1 to 14."))
        if weights and not errors and not sum(weights.values()):
            errors.append(_("At least one component needs a weight above 0."))
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = settings.version
        if not errors:
            try:
                update_settings(settings, actor=request.user, weights=weights,
                                ready_threshold=ready, component_threshold=component,
                                forecast_window=window, expected_version=version)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            return self.render_to_response(self.get_context_data(errors=errors), status=400)
        messages.success(request, _("Saved: %(object)s.") % {"object": _("readiness settings")})
        return redirect("readiness:settings")
