"""ASN neutrality pledges per agency."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.accounts.models import Agency
from posko.core import services
from posko.core.services import raise_problems
from posko.core.uploads import DOCUMENT_KINDS, check_upload
from posko.incidents.models import (
    Pledge,
)
from posko.incidents.rules import pledge_problems
from posko.incidents.services.categories import settings_for


@transaction.atomic
def save_pledge(pledge: Pledge, *, actor, before: dict | None = None, document=None,
                expected_version: int | None = None) -> Pledge:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied
    raise_problems(pledge_problems(pledge))
    checked = None
    if document:

        try:
            checked = check_upload(document, DOCUMENT_KINDS)
        except ValidationError as exc:
            raise ValidationError({"document": exc.messages}) from exc
    if pledge.pk is None and Pledge.objects.filter(election=pledge.election,
                                                  agency=pledge.agency).exists():
        raise ValidationError({"agency": [_("This agency already has a pledge for this election; "
                                            "edit that one.")]})
    if checked:
        pledge.document.save(f"{checked.token}{checked.kind.extension}", checked.file, save=False)
    if pledge.pk is None:
        return services.create(pledge, actor=actor)
    return services.update(pledge, actor=actor, before=before, expected_version=expected_version)


def pledge_overview(election, agencies=None) -> list[dict]:
    """Every Pemda agency with its pledge (or none), and whether it covers too few."""
    conf = settings_for(election)
    pledges = {p.agency_id: p for p in Pledge.objects.filter(election=election)}
    agencies = agencies if agencies is not None else Agency.objects.filter(
        kind=Agency.Kind.PERANGKAT_DAERAH)
    rows = []
    for agency in agencies:
        pledge = pledges.get(agency.pk)
        if pledge is None or not pledge.is_signed:
            problem = "unsigned"
        elif (pledge.coverage_percent or 0) < conf.pledge_min_percent:
            problem = "too_few"
        else:
            problem = ""
        rows.append({"agency": agency, "pledge": pledge, "problem": problem})
    rows.sort(key=lambda r: ({"unsigned": 0, "too_few": 1, "": 2}[r["problem"]], r["agency"].name))
    return rows
