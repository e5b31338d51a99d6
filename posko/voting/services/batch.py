"""The C.Hasil inbox's rows stored as one batch (PostgreSQL): the outcome of
:func:`~posko.voting.services.results.submit_result` row after row — the same refusals,
checks, flags, versions, counts, reconciliations, running tallies and audit entries, made by
the same :func:`~posko.voting.services.results.plan_result` — with a fixed number of
statements per batch instead of about six per row:

1. lock the batch's reconciliation rows (created first for a TPS × contest's first entry),
   then the current and counted entries of those TPS × contests (``FOR UPDATE``, by id: the
   order the verifier's actions and ``submit_result`` take, so no deadlock);
2. plan every row in Python in the inbox's order, a later row of the same TPS × contest ×
   source replacing an earlier one of the batch;
3. retire the entries replaced (one ``UPDATE … FROM (VALUES …)``), insert the new versions
   (one INSERT), the audit entries (one INSERT), and move the running tallies and the
   reconciliations that changed (one statement, ``idempotency.writes_together``).

A database error (a deadlock with another worker, a constraint) raises: the caller rolls
the batch back to its savepoint and goes row by row."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection

from posko.core import audit, bulk
from posko.core.bulk import update_rows, update_rows_sql
from posko.core.idempotency import send_with_answer, writes_together
from posko.voting import rollup
from posko.voting.models import Reconciliation, TpsResult
from posko.voting.services.reconcile import RECOMPUTED, recompute
from posko.voting.services.results import audit_entry, plan_result
from posko.voting.services.status import settings_for


def _keyed(model, keys, where: str = "") -> list:
    """``model``'s rows of the ``(tps_id, contest_id)`` in ``keys``, locked, by id."""
    table = connection.ops.quote_name(model._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(keys))
    return list(model.objects.raw(
        f"SELECT r.* FROM {table} AS r JOIN (VALUES {values}) AS k(t, c) ON r.tps_id = k.t "
        f"AND r.contest_id = k.c {where} ORDER BY r.id FOR UPDATE OF r",
        [p for key in keys for p in key]))


def _reconciliations(rows, keys) -> dict[tuple, Reconciliation]:
    recs = {(r.tps_id, r.contest_id): r for r in _keyed(Reconciliation, keys)}
    missing = [key for key in keys if key not in recs]
    if missing:  # a TPS × contest's first entry (a twin created meanwhile is tolerated)
        first = {(row.tps_id, row.contest_id): row for row in rows}
        Reconciliation.objects.bulk_create(
            [Reconciliation.for_tps(first[key].tps, contest=first[key].contest)
             for key in missing], ignore_conflicts=True)
        recs |= {(r.tps_id, r.contest_id): r for r in _keyed(Reconciliation, missing)}
    return recs


class _Entries:
    """The current entries (per source) and the counted entry of one TPS × contest, as the
    batch leaves them."""

    def __init__(self):
        self.current: dict[str, TpsResult] = {}
        self.counted: TpsResult | None = None


def refusals(error: ValidationError) -> list[list[str]]:
    return [[field, str(message)] for field, messages in error.message_dict.items()
            for message in messages]


def submit_many(rows) -> None:
    """Store the inbox ``rows`` (``ResultSubmission``, with ``tps``, ``contest``, ``election``
    and ``entered_by`` read): each gets ``result`` (its stored version) or ``refusals``."""
    keys = sorted({(row.tps_id, row.contest_id) for row in rows})
    recs = _reconciliations(rows, keys)
    entries = {key: _Entries() for key in keys}
    for entry in _keyed(TpsResult, keys, "WHERE r.is_current OR r.is_counted"):
        state = entries[(entry.tps_id, entry.contest_id)]
        if entry.is_current:
            state.current[entry.source] = entry
        if entry.is_counted:
            state.counted = entry
    retired: dict[int, TpsResult] = {}  # stored entries replaced, by id
    done = []  # (row, planned, before, after): audit snapshots as submit_result takes them
    moves = []  # (removed, added) for the running tallies
    for row in rows:
        state = entries[(row.tps_id, row.contest_id)]
        current = state.current.get(row.source)
        try:
            planned = plan_result(
                row.tps, row.contest, actor=row.entered_by, election=row.election,
                values=row.values, votes=row.votes, source=row.source, reason=row.reason,
                now=row.received_at, current=current, conf=settings_for(row.election),
                other_counted=lambda state=state: state.counted is not None)
        except ValidationError as error:
            row.refusals = refusals(error)
            continue
        if current is not None and current.pk is not None:
            retired[current.pk] = current
        state.current[row.source] = planned.result
        if planned.result.is_counted:
            state.counted = planned.result
        done.append((row, planned, audit.snapshot(current) if current is not None else None,
                     audit.snapshot(planned.result)))
        # What the counters lose and gain, as of now (a later row may retire this one).
        moves.append((planned.was_counted, planned.result if planned.result.is_counted else None))
    if not done:
        return
    _retire(list(retired.values()))
    bulk.create([planned.result for _row, planned, _b, _a in done])
    entries_ = []
    for row, planned, before, after in done:
        row.result = planned.result  # its id now known
        after["id"] = planned.result.pk
        if before is not None:
            before["id"] = planned.current.pk  # an entry of this batch has one only now
        entries_.append(audit_entry(planned, actor=row.entered_by, reason=row.reason,
                                    before=before, after=after))
    bulk.create(entries_)
    changed = [recs[key] for key in sorted({(row.tps_id, row.contest_id) for row, *_ in done})
               if recompute(recs[key], entries[key].current, entries[key].counted)]
    with writes_together():
        rollup.apply_many(moves)
        if changed:  # one UPDATE for them all, in the same statement
            for rec in changed:
                _UPDATED.pre_save(rec, False)  # auto_now, as rec.save() would
            saved = [(rec.pk, *(getattr(rec, name) for name in RECOMPUTED)) for rec in changed]
            if not send_with_answer(*update_rows_sql(Reconciliation, RECOMPUTED, saved)):
                update_rows(Reconciliation, RECOMPUTED, saved)


_UPDATED = Reconciliation._meta.get_field("updated_at")


def _retire(results) -> None:
    """The stored entries the batch replaced: no longer current, counted as planned."""
    update_rows(TpsResult, ["is_current", "is_counted"],
                [(result.pk, False, result.is_counted) for result in results])
