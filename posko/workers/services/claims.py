"""BPJS claims for an incident (JKK, JKM)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit
from posko.core.services import raise_problems
from posko.workers.models import Claim, Incident, WorkerSettings


@transaction.atomic
def save_claim(claim: Claim, *, actor, before: dict | None = None) -> Claim:
    incident = claim.incident
    if not incident.covered:
        raise ValidationError(_("The worker had no active BPJS coverage when this happened: "
                                "there is nothing to claim. The case is shown as uncovered."))
    if claim.programme == Claim.Programme.JKM and incident.kind != Incident.Kind.MENINGGAL:
        raise_problems([("programme", _("A JKM claim is for a death."))])
    if claim.status in (Claim.Status.DIAJUKAN, Claim.Status.DIBAYAR, Claim.Status.DITOLAK) \
            and not claim.submitted_on:
        raise_problems([("submitted_on", _("Fill in when the claim was submitted."))])
    if claim.programme == Claim.Programme.JKM:
        _check_jkm_amount(claim, WorkerSettings.for_election(incident.worker.election))
    if claim.status == Claim.Status.DIBAYAR and not claim.amount:
        raise_problems([("amount", _("Fill in the amount paid."))])
    if claim.submitted_on and claim.decided_on and claim.decided_on < claim.submitted_on:
        raise_problems([("decided_on", _("The decision cannot come before the submission."))])
    claim.kecamatan_id, claim.kelurahan_id, claim.kabkota_id = (
        incident.kecamatan_id, incident.kelurahan_id, incident.kabkota_id)
    claim.full_clean(exclude=["incident", "kecamatan", "kelurahan", "kabkota"])
    is_new = claim.pk is None
    claim.save()
    after = audit.snapshot(claim)
    if is_new:
        audit.record("create", claim, actor=actor, after=after)
    elif after != before:
        audit.record("update", claim, actor=actor, before=before, after=after)
    return claim


def rupiah(amount) -> str:
    return "Rp" + f"{amount:,.0f}".replace(",", ".")


def _check_jkm_amount(claim: Claim, settings: WorkerSettings) -> None:
    """The JKM benefit is set by regulation (``WorkerSettings.jkm_benefit``): an empty amount
    takes it; another amount needs a reason."""
    claim.amount_reason = (claim.amount_reason or "").strip()
    if claim.amount is None:
        claim.amount = settings.jkm_benefit
    elif claim.amount != settings.jkm_benefit and not claim.amount_reason:
        raise_problems([("amount_reason", _(
            "The regulated JKM benefit for this election is %(amount)s (%(regulation)s): give "
            "the reason for claiming %(claimed)s.") % {
            "amount": rupiah(settings.jkm_benefit), "regulation": settings.jkm_regulation,
            "claimed": rupiah(claim.amount)})])
