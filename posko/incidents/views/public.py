"""The citizen's report form and status lookup (no account)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from posko.core.middleware import client_ip
from posko.incidents import services
from posko.incidents.forms import (
    PublicReportForm,
    StatusLookupForm,
)
from posko.incidents.models import Report, State
from posko.incidents.views.common import STATE_LABELS

# --- public pages (no login) ------------------------------------------------------------------------

def _public_response(request, template, context, status=200):
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


class PublicReportView(View):
    """The citizen's form: no account, no JavaScript needed, rate-limited per client,
    with a honeypot field. CSRF protection stays on."""

    template_name = "incidents/public_form.html"

    def get(self, request):
        election = request.election
        return _public_response(request, self.template_name, {
            "form": PublicReportForm(), "election": election})

    def post(self, request):
        election = request.election
        form = PublicReportForm(data=request.POST, files=request.FILES)
        if election is None:
            return _public_response(request, self.template_name, {"form": form, "election": None},
                                    status=400)
        if request.POST.get("website"):
            # A bot filled the hidden field: thank it and save nothing.
            return _public_response(request, "incidents/public_thanks.html", {})
        if services.public_rate_limited(election, services.client_hash(client_ip(request))):
            conf = services.settings_for(election)
            form.is_valid()
            form.add_error(None, _(
                "Too many reports were sent from your connection in the last %(minutes)s "
                "minutes. Nothing was saved. Please try again later, or call the Desk "
                "Pilkada.") % {"minutes": conf.public_window_minutes})
            return _public_response(request, self.template_name,
                                    {"form": form, "election": election}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            tps = None
            if data.get("tps_number"):
                tps = services.find_tps(election, data["kelurahan"].pk, data["tps_number"])
                if tps is None:
                    form.add_error("tps_number", _("There is no TPS with this number in the chosen "
                                                   "kelurahan."))
            if form.is_valid():
                report = Report(election=election, category=data["category"],
                                kelurahan=data["kelurahan"], tps=tps,
                                location_note=data["location_note"],
                                occurred_at=data["occurred_at"], title=data["title"],
                                description=data["description"],
                                reporter_name=data["reporter_name"],
                                reporter_contact=data["reporter_contact"])
                try:
                    services.submit_public(report, ip=client_ip(request),
                                           files=request.FILES.getlist("files"))
                except services.RateLimited as exc:
                    form.add_error(None, exc.messages[0])
                    return _public_response(request, self.template_name,
                                            {"form": form, "election": election}, status=429)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        target = field if field in form.fields else None
                        if field == "tps":
                            target = "tps_number"
                        for message in errors:
                            form.add_error(target, message)
                else:
                    return HttpResponseRedirect(
                        reverse("incidents:public_status") + f"?kode={report.code}&baru=1")
        return _public_response(request, self.template_name, {"form": form, "election": election},
                                status=400)


PUBLIC_STEPS = [State.BARU, State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI,
                State.SELESAI]


class PublicStatusView(View):
    """The status of a report by its tracking code: category, day, place (kelurahan),
    state and the public note. No names, no internal notes; a wrong code gives the same
    answer whether or not it exists."""

    template_name = "incidents/public_status.html"

    def get(self, request):
        form = StatusLookupForm(request.GET or None)
        context = {"form": form, "just_sent": request.GET.get("baru") == "1"}
        status = 200
        if form.is_bound:
            report = services.public_status(request.GET.get("kode", "")) if form.is_valid() else None
            if report is None:
                context["not_found"] = True
                status = 404
            else:
                context["report"] = report
                context["steps"] = [{"code": s, "label": STATE_LABELS[s],
                                     "done": PUBLIC_STEPS.index(s) <= PUBLIC_STEPS.index(report.state)
                                     if report.state in PUBLIC_STEPS else False}
                                    for s in PUBLIC_STEPS]
                context["asked_code"] = services.normalise_code(request.GET.get("kode", ""))
        return _public_response(request, self.template_name, context, status=status)
