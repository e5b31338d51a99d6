"""Three sources side by side per TPS × contest (Pemda, witness, KPU): ``refresh`` recomputes
the ``Reconciliation`` row from the current entries (agreement, differences per field and
pair of sources, NIST status). The verifier's actions are in ``services.verify``.

Cost: ``refresh`` runs a fixed number of queries (lock or create the row, read the current
and counted entries, save), whatever the number of versions; the lock is left out when the
caller locked the row already. The entries are read in a statement *after* the lock, so
they include what a concurrent writer of this TPS × contest committed while we waited."""

from __future__ import annotations

from itertools import combinations

from django.db import transaction
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from posko.core import clock, idempotency
from posko.core.prepared import Prepared
from posko.voting.models import Agreement, NistStatus, Reconciliation, Source, TpsResult

#: The C.Hasil numbers compared between sources, in the order shown.
COMPARED = ("voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid", "ballots_received",
            "ballots_used", "ballots_unused", "ballots_damaged")
SOURCES = [source for source, _label in Source.choices]
#: Short names in the difference messages ("Paslon 2: Pemda 117, saksi 171, KPU 117").
SHORT = {Source.PEMDA: "Pemda", Source.SAKSI: "saksi", Source.KPU: "KPU"}


def field_label(field: str) -> str:
    if field.startswith("votes."):
        return _("Pair %(number)s") % {"number": field.split(".", 1)[1]}
    return capfirst(TpsResult._meta.get_field(field).verbose_name)


def _values(entry: TpsResult) -> dict[str, int | None]:
    values = {field: getattr(entry, field) for field in COMPARED}
    for number, count in (entry.votes or {}).items():
        values[f"votes.{number}"] = count
    return values


def differences(entries: dict[str, TpsResult]) -> list[dict]:
    """Per field where two sources give different numbers: the numbers of every source and
    the pairs of sources that disagree. A number a source does not give (KPU publishes no
    ballot counts) is not compared."""
    values = {source: _values(entry) for source, entry in entries.items()}
    fields = list(COMPARED) + sorted({f for v in values.values() for f in v if f.startswith(
        "votes.")}, key=lambda f: int(f.split(".")[1]) if f.split(".")[1].isdigit() else 0)
    found = []
    for field in fields:
        numbers = {source: values[source].get(field) for source in SOURCES if source in values}
        pairs = [[a, b] for a, b in combinations([s for s in SOURCES if s in numbers], 2)
                 if numbers[a] is not None and numbers[b] is not None and numbers[a] != numbers[b]]
        if pairs:
            found.append({"field": field, "values": numbers, "pairs": pairs})
    return found


def describe(difference: dict) -> str:
    """"Pair 2: Pemda 117, saksi 171, KPU 117" (a missing number shown as —)."""
    values = difference["values"]  # a JSON object: PostgreSQL does not keep its order
    numbers = ", ".join(f"{SHORT[source]} {'—' if values[source] is None else values[source]}"
                        for source in SOURCES if source in values)
    return f"{field_label(difference['field'])}: {numbers}"


#: The current and counted entries of a TPS × contest, compiled once per process: read for
#: every C.Hasil (``core.prepared``).
_CURRENT_OR_COUNTED = Prepared(lambda tps, contest: TpsResult.objects.filter(
    tps_id=tps, contest_id=contest).filter(Q(is_current=True) | Q(is_counted=True))
    .select_related("entered_by"), (int, int))


def _entries(tps, contest) -> tuple[dict[str, TpsResult], TpsResult | None]:
    rows = _CURRENT_OR_COUNTED.run(tps.pk, contest.pk)
    current = {r.source: r for r in rows if r.is_current}
    counted = next((r for r in rows if r.is_counted), None)
    return current, counted


def _locked(tps, contest) -> Reconciliation:
    """The TPS × contest's row, locked (created on first use; a twin created at the same
    moment is tolerated)."""
    rec = Reconciliation.objects.select_for_update().filter(tps=tps, contest=contest).first()
    if rec is None:
        Reconciliation.objects.bulk_create([Reconciliation.for_tps(tps, contest=contest)],
                                           ignore_conflicts=True)
        rec = Reconciliation.objects.select_for_update().get(tps=tps, contest=contest)
    return rec


def still_verified(rec: Reconciliation, current: dict, counted) -> bool:
    """A verifier's decision holds while no source sent a newer entry and the counted entry
    is the one the verifier left."""
    return bool(rec.verified_at and counted is not None and counted.pk == rec.counted_id
                and all(e.entered_at <= rec.verified_at for e in current.values()))


def compute(rec: Reconciliation, current: dict, counted, *, keep_recount: bool = True) -> None:
    """Set agreement, differences, counted and status on ``rec`` (not saved)."""
    rec.differences = differences(current)
    if still_verified(rec, current, counted):
        rec.agreement = Agreement.VERIFIED
    elif len(current) < 2:
        rec.agreement = Agreement.SINGLE
    else:
        rec.agreement = Agreement.DISAGREE if rec.differences else Agreement.AGREE
    rec.counted = counted
    consistent = counted is not None and not counted.checks
    if keep_recount and rec.status == NistStatus.RECOUNT:
        pass  # until a verifier chooses or corrects after the recount
    elif not consistent or rec.agreement not in (Agreement.AGREE, Agreement.VERIFIED):
        rec.status = NistStatus.UNOFFICIAL_PARTIAL
    elif counted.version > 1 or counted.reason:
        rec.status = NistStatus.CORRECTION
    else:
        rec.status = NistStatus.UNOFFICIAL_COMPLETE


_STATE = ("agreement", "status", "differences", "counted_id")
#: The fields :func:`recompute` may change, with the save's time (a batch saves only these).
RECOMPUTED = [*_STATE, "version", "updated_at"]


def recompute(rec: Reconciliation, current: dict, counted, *, keep_recount: bool = True) -> bool:
    """:func:`compute`, and the version moved when something changed (returned: not saved)."""
    before = tuple(getattr(rec, f) for f in _STATE)
    compute(rec, current, counted, keep_recount=keep_recount)
    if tuple(getattr(rec, f) for f in _STATE) == before:
        return False
    rec.version += 1
    return True


def refresh(tps, contest, *, keep_recount: bool = True, locked=None) -> Reconciliation:
    """Recompute the TPS × contest's reconciliation from the current entries (call it in the
    transaction that changed them). The version moves only when something changed, so a
    verifier looking at older numbers is refused. No savepoint of its own: a failure here
    fails the caller's transaction. ``locked``: the row, already locked by the caller in
    this transaction (``submit_result`` locks it with the entry it retires)."""
    with transaction.atomic(savepoint=False):
        rec = locked if locked is not None else _locked(tps, contest)
        current, counted = _entries(tps, contest)
        if recompute(rec, current, counted, keep_recount=keep_recount):
            # Nothing reads it again in a field submission: sent with the answer there.
            idempotency.save_with_answer(rec)
    rec.entries = current
    return rec


def refresh_many(pairs) -> int:
    """``refresh`` for many ``(tps, contest)`` at once (an import): a fixed number of queries
    per 500 TPS — create the missing rows, lock them, read the entries, update what
    changed. Returns the number of rows changed."""
    changed, now = 0, clock.now()
    pairs = list({(tps.pk, contest.pk): (tps, contest) for tps, contest in pairs}.values())
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        keys = {(tps.pk, contest.pk) for tps, contest in chunk}
        tps_ids = {k[0] for k in keys}
        contest_ids = {k[1] for k in keys}
        with transaction.atomic():
            Reconciliation.objects.bulk_create(
                [Reconciliation.for_tps(tps, contest=contest) for tps, contest in chunk],
                ignore_conflicts=True)
            recs = {(r.tps_id, r.contest_id): r for r in Reconciliation.objects
                    .select_for_update().filter(tps_id__in=tps_ids, contest_id__in=contest_ids)
                    .order_by("pk")}
            current: dict[tuple, dict] = {}
            counted: dict[tuple, TpsResult] = {}
            for entry in TpsResult.objects.filter(tps_id__in=tps_ids, contest_id__in=contest_ids) \
                    .filter(Q(is_current=True) | Q(is_counted=True)).select_related("entered_by"):
                key = (entry.tps_id, entry.contest_id)
                if entry.is_current:
                    current.setdefault(key, {})[entry.source] = entry
                if entry.is_counted:
                    counted[key] = entry
            dirty = []
            for key in keys:
                rec = recs[key]
                if recompute(rec, current.get(key, {}), counted.get(key)):
                    rec.updated_at = now
                    dirty.append(rec)
            Reconciliation.objects.bulk_update(
                dirty, ["agreement", "status", "differences", "counted", "version",
                        "updated_at"], batch_size=500)
            changed += len(dirty)
    return changed
