"""Personal data in the incidents module (UU PDP 27/2022): the identity of a public reporter
(name, contact) and of an ASN in a neutrality case (name). Masked on every page, list, export
and API answer, for every user; a user with the personal-data permission reveals one report's
reporters or one case's ASN with a reason, one ``view`` audit row each (core.personal)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from posko.core import personal
from posko.incidents.models import NeutralityCase, Report

REPORTER_FIELDS = ["reporter_name", "reporter_contact"]
CASE_FIELDS = ["asn_name"]


def reporter_name(report: Report) -> str:
    """The masked name of a public reporter ("anonymous" when none was given)."""
    return personal.mask_name(report.reporter_name) if report.reporter_name else _("anonymous")


def reporter_contact(report: Report) -> str:
    return personal.mask_phone(report.reporter_contact)


def case_name(case: NeutralityCase) -> str:
    return personal.mask_name(case.asn_name)


def reporter_values(family) -> dict:
    """{report pk: {"name", "contact"}} in clear, of the public reports among a report and the
    reports merged into it (only ever read through core.personal.reveal)."""
    return {r.pk: {"name": r.reporter_name or _("anonymous"), "contact": r.reporter_contact}
            for r in family if r.source == Report.Source.PUBLIC}


def case_values(case: NeutralityCase) -> dict:
    return {"asn_name": case.asn_name}


def reveal_case(case: NeutralityCase, *, actor, reason: str) -> dict:
    """The ASN's name in clear; one audit row on the case (the API's reveal)."""
    return personal.reveal(case, actor=actor, reason=reason, fields=CASE_FIELDS,
                           label=_("the name of the ASN"), read=lambda: case_values(case))
