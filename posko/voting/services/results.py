"""C.Hasil entries per TPS and contest: refused only when unusable (rules.result_refusals),
otherwise stored with their failed checks and anomaly flags; a correction adds a version."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from posko.core import audit, clock, constants, idempotency, requirements
from posko.core.services import raise_problems
from posko.elections.models import CandidatePair, Contest
from posko.voting import rollup
from posko.voting.access import may_report
from posko.voting.models import Reconciliation, ResultStatus, Source, TpsDay, TpsResult
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


def _from_row(model, values):
    """A ``model`` instance from its concrete columns' raw values (None: no row)."""
    fields = model._meta.concrete_fields
    if values[0] is None:  # the primary key: a LEFT JOIN that found nothing
        return None
    converted = [field.from_db_value(value, None, connection)
                 if value is not None and hasattr(field, "from_db_value") else value
                 for field, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _retire_current(tps, contest, source: str):
    """``(current, reconciliation)``: the current entry of this TPS × contest × source as it
    was, locked and already retired in the database (no longer current and, when the Pemda
    sends a new one, no longer counted: a witness's new version leaves the count where a
    verifier put it; None before the first entry), and on PostgreSQL the TPS × contest's
    reconciliation row, locked first — the order the verifier's actions take, so the two
    cannot deadlock — (None when it does not exist yet; SQLite: None, ``refresh`` locks it).
    PostgreSQL: one statement."""
    keep_counted = source != Source.PEMDA
    if connection.vendor != "postgresql":
        current = TpsResult.objects.select_for_update().filter(
            tps=tps, contest=contest, source=source, is_current=True).first()
        if current is not None:
            TpsResult.objects.filter(pk=current.pk).update(
                is_current=False, is_counted=current.is_counted and keep_counted)
        return current, None
    quote = connection.ops.quote_name
    results, recs = quote(TpsResult._meta.db_table), quote(Reconciliation._meta.db_table)
    rec_columns = ", ".join(quote(f.column) for f in Reconciliation._meta.concrete_fields)
    columns = ", ".join(quote(f.column) for f in TpsResult._meta.concrete_fields)
    # The rows a FOR UPDATE returns are their latest versions, read after any lock wait.
    # No join in a lock: PostgreSQL cannot lock the nullable side of an outer join.
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH rec AS (SELECT {rec_columns} FROM {recs} WHERE tps_id = %s AND contest_id = %s "
            f"FOR UPDATE), old AS (SELECT {columns} FROM {results} WHERE tps_id = %s AND "
            f"contest_id = %s AND source = %s AND is_current FOR UPDATE), "
            f"retired AS (UPDATE {results} AS t SET is_current = false, "
            f"is_counted = t.is_counted AND %s FROM old WHERE t.id = old.id RETURNING t.id) "
            f"SELECT rec.*, old.*, (SELECT count(*) FROM retired) FROM (SELECT 1) AS one "
            f"LEFT JOIN rec ON true LEFT JOIN old ON true",
            [tps.pk, contest.pk, tps.pk, contest.pk, source, keep_counted])
        row = cursor.fetchone()
    split = len(Reconciliation._meta.concrete_fields)
    return _from_row(TpsResult, row[split:-1]), _from_row(Reconciliation, row[:split])


@dataclass
class Planned:
    """One C.Hasil entry worked out before anything is written: the new version (unsaved),
    the entry it replaces as it is left (no longer current; ``None`` for a first entry) and
    the counted entry it takes the count from (``None`` when the count does not move)."""

    result: TpsResult
    current: TpsResult | None
    was_counted: TpsResult | None


def plan_result(tps, contest, *, actor, election, values: dict, votes: dict, source: str,
                reason: str, now, current, other_counted, conf) -> Planned:
    """The pure part of :func:`submit_result`: refuse (ValidationError) or work out the new
    version, its checks and flags and what is counted, from ``current`` (the entry of this
    TPS × contest × source it replaces, or None) and ``other_counted()`` (whether another
    entry of the TPS × contest is counted; asked only for a first Pemda entry). Changes
    ``current`` in memory as the database must be left (no longer current; counted only
    when a witness's version keeps a verifier's count). Shared with the inbox's batches."""
    votes = {int(number): int(count) for number, count in votes.items()}
    values = {field: None if field in OPTIONAL and values.get(field) is None
              else int(values.get(field) or 0) for field in FIELDS}
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
                           ballots_required=requirements.ballots_required(election, tps, contest))
    flags = result_flags(values, votes, tps.dpt_total, closed_at=closed_at, entered_at=now)
    # The Pemda's entry is counted unless a verifier chose another (reconciliation).
    counted = source == Source.PEMDA and (current.is_counted if current is not None
                                          else not other_counted())
    # A witness's new version does not take over the count a verifier gave its earlier
    # one: that stays counted until a verifier decides again (as with KPU's updates).
    keep = current is not None and current.is_counted and source != Source.PEMDA
    was_counted = current if current is not None and current.is_counted and not keep else None
    if was_counted is not None:
        was_counted.tps = tps  # rollup reads its DPT: no second query
    if current is not None:  # as the database is left (also the audit's "before")
        current.is_current, current.is_counted = False, keep
    result = TpsResult.for_tps(
        tps, contest=contest, source=source,
        version=current.version + 1 if current else 1, is_current=True, is_counted=counted,
        votes={str(k): v for k, v in sorted(votes.items())}, checks=checks, flags=flags,
        status=ResultStatus.PERLU_VERIFIKASI if checks else ResultStatus.TERCATAT,
        reason=(reason or "").strip(), entered_at=now, entered_by=actor, **values)
    return Planned(result, current, was_counted)


def audit_entry(planned: Planned, *, actor, reason: str = "", before=None, after=None):
    """The audit entry of a stored C.Hasil version (``before``/``after``: the snapshots of
    the replaced entry and the new one, when taken earlier)."""
    current, result = planned.current, planned.result
    if before is None and current is not None:
        before = audit.snapshot(current)
    return audit.build("create" if current is None else "update", result, actor=actor,
                       before=before, after=after if after is not None else audit.snapshot(result),
                       message=reason or "")


def submit_result(tps, contest, *, actor, election, values: dict, votes: dict,
                  source: str = Source.PEMDA, reason: str = "", now=None,
                  allowed: bool = False) -> TpsResult:
    """Store one C.Hasil entry (see the module doc); all or nothing. ``allowed``: the
    actor's right to report here was checked when the entry was received (the inbox: an
    acknowledged entry is not lost because the account was closed a moment later)."""
    if not allowed and not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    conf = settings_for(election)  # before the transaction: created there on first use
    with idempotency.atomic():  # no savepoint inside a field submission
        # Locked and retired at once (a refusal below rolls it back with the rest).
        current, rec = _retire_current(tps, contest, source)
        planned = plan_result(
            tps, contest, actor=actor, election=election, values=values, votes=votes,
            source=source, reason=reason, now=now, current=current, conf=conf,
            other_counted=lambda: TpsResult.objects.filter(
                tps=tps, contest=contest, is_counted=True).exists())
        result = planned.result
        result.save()
        rollup.apply(planned.was_counted, result if result.is_counted else None)
        refresh(tps, contest, locked=rec)  # the three sources side by side
        # Sent with the field API's answer (one statement); at once elsewhere.
        idempotency.save_with_answer(audit_entry(planned, actor=actor, reason=reason))
    return result
