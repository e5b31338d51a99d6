"""C.Hasil entries per TPS and contest: refused only when unusable (rules.result_refusals),
otherwise stored with their failed checks and anomaly flags; a correction adds a version."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from posko.core import audit, clock, constants, requirements
from posko.core.services import raise_problems
from posko.elections.models import CandidatePair, Contest
from posko.voting import rollup
from posko.voting.access import may_report
from posko.voting.models import ResultStatus, Source, TpsDay, TpsResult
from posko.voting.rules import result_checks, result_flags, result_refusals
from posko.voting.services.reconcile import refresh
from posko.voting.services.status import settings_for

FIELDS = ("voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid", "ballots_received",
          "ballots_used", "ballots_unused", "ballots_damaged", "voters_men", "voters_women",
          "registered_dptb", "registered_dpk")
#: Numbers a C.Hasil may leave out (None stays None, and the checks that need them are
#: skipped): men/women and registered DPTb/DPK, and the ballot counts (a KPU record has none).
OPTIONAL = frozenset(("voters_men", "voters_women", "registered_dptb", "registered_dpk",
                      "ballots_received", "ballots_used", "ballots_unused", "ballots_damaged"))


UNREAD = object()


def contests_of(election) -> list[Contest]:
    """The election's contests (a per-process constant)."""
    return constants.get(("voting.contests", election.pk), lambda: list(
        Contest.objects.filter(election=election).order_by("level", "name")))


def ballot_numbers(contest) -> dict[int, str]:
    """Ballot number → pair, for a contest (a per-process constant)."""
    return constants.get(("voting.pairs", contest.pk), lambda: {
        p.ballot_number: str(p) for p in CandidatePair.objects.filter(contest=contest)})


def contests_at(election, tps) -> list[Contest]:
    """The contests voted at ``tps`` (a governor's across the province, a mayor's in the city)."""
    province = tps.kabkota_id.split(".")[0]
    return [c for c in contests_of(election)
            if c.provinsi_id == province and c.kabkota_id in (None, tps.kabkota_id)]


def current_results(tps) -> list[TpsResult]:
    return list(TpsResult.objects.filter(tps=tps, is_current=True).select_related(
        "contest", "entered_by").order_by("contest__level", "source"))


def submit_result(tps, contest, *, actor, election, values: dict, votes: dict,
                  source: str = Source.PEMDA, reason: str = "", now=None) -> TpsResult:
    """Store one C.Hasil entry (see the module doc); all or nothing."""
    if not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    conf = settings_for(election)
    votes = {int(number): int(count) for number, count in votes.items()}
    values = {field: None if field in OPTIONAL and values.get(field) is None
              else int(values.get(field) or 0) for field in FIELDS}
    with transaction.atomic():
        # No join here: PostgreSQL cannot lock the nullable side of an outer join.
        current = TpsResult.objects.select_for_update().filter(
            tps=tps, contest=contest, source=source, is_current=True).first()
        raise_problems(result_refusals(
            contest=contest, election=election, tps=tps, ballot_numbers=ballot_numbers(contest),
            votes=votes, reason=reason or "", current=current, entered_at=now, conf=conf))
        closed_at = getattr(tps, "voting_closed_at", UNREAD)  # the API reads it with the TPS
        if closed_at is UNREAD:
            day = TpsDay.objects.filter(tps=tps).only("closed_at").first()
            closed_at = day.closed_at if day else None
        closed_at = closed_at or timezone.make_aware(
            datetime.datetime.combine(election.voting_date, conf.closing_time))
        checks = result_checks(values, votes, tps.dpt_total,
                               ballots_required=requirements.ballots_required(
                                   election, tps, contest))
        flags = result_flags(values, votes, tps.dpt_total, closed_at=closed_at, entered_at=now)
        # The Pemda's entry is counted unless a verifier chose another (reconciliation).
        counted = source == Source.PEMDA and (current.is_counted if current is not None else
                                              not TpsResult.objects.filter(
                                                  tps=tps, contest=contest,
                                                  is_counted=True).exists())
        # A witness's new version does not take over the count a verifier gave its earlier
        # one: that stays counted until a verifier decides again (as with KPU's updates).
        keep = current is not None and current.is_counted and source != Source.PEMDA
        was_counted = current if current is not None and current.is_counted and not keep \
            else None
        if was_counted is not None:
            was_counted.tps = tps  # rollup reads its DPT: no second query
        if current is not None:
            current.is_current, current.is_counted = False, keep
            current.save(update_fields=["is_current", "is_counted"])
        result = TpsResult.for_tps(
            tps, contest=contest, source=source,
            version=current.version + 1 if current else 1, is_current=True, is_counted=counted,
            votes={str(k): v for k, v in sorted(votes.items())}, checks=checks, flags=flags,
            status=ResultStatus.PERLU_VERIFIKASI if checks else ResultStatus.TERCATAT,
            reason=(reason or "").strip(), entered_at=now, entered_by=actor, **values)
        result.save()
        rollup.apply(was_counted, result if result.is_counted else None)
        refresh(tps, contest)  # the three sources side by side
        audit.record("create" if current is None else "update", result, actor=actor,
                     before=audit.snapshot(current) if current else None,
                     after=audit.snapshot(result), message=reason or "")
    return result
