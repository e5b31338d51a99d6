"""The verifier's decisions on a TPS × contest: count a source's current entry, correct the
result (a new version of the Pemda's entry) or record a recount. Each needs a reason, checks
the reconciliation's version (optimistic locking), moves ``is_counted`` with
``rollup.apply(removed, added)`` and is audited, all in one transaction.

Who verifies: the Desk admin anywhere, the kecamatan operator for the TPS of its kecamatan;
a lurah's office does not (it enters the Pemda's numbers it would be verifying)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.voting import rollup
from posko.voting.models import NistStatus, Reconciliation, Source, TpsResult
from posko.voting.services.reconcile import _entries, _locked, compute
from posko.voting.services.results import submit_result


def may_verify(user, tps) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_desk_admin", False):
        return True
    kecamatan = getattr(user, "scope_kecamatan_id", None)
    return (getattr(user, "can_edit_registry", False) and bool(kecamatan)
            and not getattr(user, "scope_kelurahan_id", None) and tps.kecamatan_id == kecamatan)


def _start(tps, contest, actor, version, reason) -> Reconciliation:
    if not may_verify(actor, tps):
        raise PermissionDenied
    rec = _locked(tps, contest)
    problems: dict[str, list[str]] = {}
    if version not in (None, "") and str(version) != str(rec.version):
        problems["__all__"] = [_(
            "The sources of this TPS changed while you were looking (now version %(now)s, you "
            "saw version %(seen)s): look at them again.") % {"now": rec.version, "seen": version}]
    if not (reason or "").strip():
        problems["reason"] = [_("Give the reason for this decision.")]
    if problems:
        raise ValidationError(problems)
    return rec


def _count(tps, contest, entry: TpsResult) -> None:
    """Make ``entry`` the counted one; moves the tallies when it changes."""
    old = TpsResult.objects.filter(tps=tps, contest=contest, is_counted=True).first()
    if old is not None and old.pk == entry.pk:
        return
    if old is not None:
        old.is_counted = False
        old.save(update_fields=["is_counted"])
    entry.is_counted = True
    entry.save(update_fields=["is_counted"])
    rollup.apply(old, entry)


def _decided(rec, tps, contest, actor, reason, now, message, before) -> Reconciliation:
    rec.verified_by, rec.verified_at, rec.reason = actor, now, reason.strip()
    current, counted = _entries(tps, contest)
    rec.counted = counted  # the entry this decision counts
    compute(rec, current, counted, keep_recount=False)  # a decision ends a recount
    rec.version += 1
    rec.save()
    audit.record("update", rec, actor=actor, before=before, after=audit.snapshot(rec),
                 message=f"{message} — {reason.strip()}")
    rec.entries = current
    return rec


def choose(tps, contest, entry_id, *, actor, reason: str, version=None,
           now=None) -> Reconciliation:
    """Count a source's current entry for this TPS × contest."""
    now = now or clock.now()
    with transaction.atomic():
        rec = _start(tps, contest, actor, version, reason)
        entry = TpsResult.objects.filter(tps=tps, contest=contest, is_current=True,
                                         pk=entry_id).first() if str(entry_id).isdigit() else None
        if entry is None:
            raise ValidationError({"entry": [_("Choose one of the current entries.")]})
        before = audit.snapshot(rec)
        _count(tps, contest, entry)
        return _decided(rec, tps, contest, actor, reason, now, _(
            "Counted: %(source)s version %(version)s") % {
            "source": entry.get_source_display(), "version": entry.version}, before)


def correct(tps, contest, *, actor, election, values: dict, votes: dict, reason: str,
            version=None, now=None) -> Reconciliation:
    """The verifier's own numbers: a new version of the Pemda's entry (the witness's and
    KPU's entries stay as their sources sent them), counted from now on."""
    now = now or clock.now()
    with transaction.atomic():
        rec = _start(tps, contest, actor, version, reason)
        before = audit.snapshot(rec)
        entry = submit_result(tps, contest, actor=actor, election=election, values=values,
                              votes=votes, source=Source.PEMDA, reason=reason.strip(), now=now)
        _count(tps, contest, entry)
        rec = _locked(tps, contest)  # submit_result refreshed it
        return _decided(rec, tps, contest, actor, reason, now, _(
            "Corrected: Pemda version %(version)s") % {"version": entry.version}, before)


def recount(tps, contest, *, actor, reason: str, version=None, now=None) -> Reconciliation:
    """Record that the TPS's ballots are recounted (NIST "recount") until a verifier chooses
    or corrects the result."""
    with transaction.atomic():
        rec = _start(tps, contest, actor, version, reason)
        before = audit.snapshot(rec)
        rec.status, rec.reason = NistStatus.RECOUNT, reason.strip()
        rec.version += 1
        rec.save()
        audit.record("update", rec, actor=actor, before=before, after=audit.snapshot(rec),
                     message=_("Recount — %(reason)s") % {"reason": reason.strip()})
    return rec
