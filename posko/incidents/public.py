"""How to report, on the public portal (core.public): links to the existing public form
and status lookup. No report, reporter or case is shown."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from posko.core.public import register_public_section


def build(election, kelurahan):
    return {"form_url": reverse("incidents:public_report"),
            "status_url": reverse("incidents:public_status")}


def register() -> None:
    register_public_section("report", _("How to report a violation"), build,
                            "incidents/_public.html", order=50, ttl=3600)
