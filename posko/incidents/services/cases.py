"""ASN neutrality cases (the 2022 joint decree)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from posko.core import services
from posko.core.personal import mask_name  # noqa: F401 (re-exported: services.mask_name)
from posko.core.services import raise_problems
from posko.incidents.models import (
    NeutralityCase,
    Report,
)
from posko.incidents.rules import case_problems


def case_status(case: NeutralityCase) -> str:
    S, St = NeutralityCase.Sanction, NeutralityCase.Status
    if case.sanction == S.TIDAK_TERBUKTI:
        return St.DIHENTIKAN
    if case.sanction:
        return St.DISANKSI
    if case.referred_bkn_on or case.referred_ppk_on:
        return St.DIRUJUK
    if case.recommendation_date or (case.bawaslu_recommendation or "").strip():
        return St.DIREKOMENDASIKAN
    if (case.bawaslu_finding or "").strip():
        return St.DIKAJI
    return St.DILAPORKAN


@transaction.atomic
def save_case(case: NeutralityCase, *, actor, before: dict | None = None,
              expected_version: int | None = None) -> NeutralityCase:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    raise_problems(case_problems(case))
    case.status = case_status(case)
    if case.pk is None:
        return services.create(case, actor=actor)
    return services.update(case, actor=actor, before=before, expected_version=expected_version)


def case_from_report(report: Report) -> NeutralityCase:
    """A new (unsaved) case prefilled from a report of category netralitas ASN (the type of
    breach follows the act the admin names)."""
    return NeutralityCase(election=report.election, report=report, agency=report.agency,
                          act=report.description,
                          occurred_on=timezone.localtime(report.occurred_at).date())

