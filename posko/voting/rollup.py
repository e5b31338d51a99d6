"""Running tallies (``TallyCounter``): the sums of the counted entries per kelurahan and
contest, changed by deltas in the same transaction as the entry, never recomputed from every
TPS per submission.

``apply(removed, added)`` is called whenever the counted entry of a TPS × contest changes
(a new Pemda version, a verifier's choice or correction, a status change of the counted
entry); either side may be ``None``. Each side is a ``TpsResult`` or a :func:`snapshot` of
one (take the snapshot *before* changing an entry in place, e.g. its status).

Concurrency: on PostgreSQL one ``INSERT … ON CONFLICT DO UPDATE SET n = n + delta`` per
counter moves the numbers and the votes JSON (summed with ``jsonb_each_text``/
``jsonb_object_agg``) and creates the row for the first entry of a kelurahan × contest; in
a field submission it travels with the answer (``idempotency.send_with_answer``), so the
row stays locked only from that last statement to the COMMIT. No lost update: the upsert
takes the row's lock. On SQLite (one writer at a time) the numbers move with an
``UPDATE … SET n = n + delta``, the votes JSON is then read and written under that lock,
and a missing row is created in a savepoint.

``rebuild(election, contest=None)`` recomputes the counters from the counted entries (the
demo, bulk imports, repairs: ``posko tally_counters --rebuild``); ``check()`` lists where the
stored counters differ from a from-scratch sum (``posko tally_counters --check``)."""

from __future__ import annotations

import json
from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, JSONField, Q, Sum
from django.db.models.expressions import RawSQL

from posko.core import idempotency
from posko.voting.models import ResultStatus, TallyCounter, TpsResult

NUMBERS = ("reported", "to_verify", "dpt_reported", "voters", "valid", "invalid")


def snapshot(result) -> dict | None:
    """What a counted entry adds to its counter (a plain dict; ``apply`` accepts it)."""
    if result is None or isinstance(result, dict):
        return result
    return {"election_id": result.election_id, "contest_id": result.contest_id,
            "kecamatan_id": result.kecamatan_id, "kelurahan_id": result.kelurahan_id,
            "reported": 1, "to_verify": int(result.status == ResultStatus.PERLU_VERIFIKASI),
            "dpt_reported": result.tps.dpt_total or 0, "voters": result.voters,
            "valid": result.valid, "invalid": result.invalid,
            "votes": {str(k): int(v) for k, v in (result.votes or {}).items()}}


def apply(removed, added) -> None:
    """Move the counters from ``removed`` to ``added`` (``TpsResult``, snapshot or None)."""
    apply_many([(removed, added)])


def apply_many(moves) -> None:
    """:func:`apply` for many ``(removed, added)`` at once (the inbox's batches): the deltas
    summed per counter first, so each counter moves once."""
    deltas: dict[tuple, dict] = {}
    for removed, added in moves:
        for sign, side in ((-1, snapshot(removed)), (1, snapshot(added))):
            if side is None:
                continue
            key = (side["election_id"], side["contest_id"], side["kecamatan_id"],
                   side["kelurahan_id"])
            delta = deltas.setdefault(key, {"votes": defaultdict(int),
                                            **dict.fromkeys(NUMBERS, 0)})
            for field in NUMBERS:
                delta[field] += sign * side[field]
            for number, count in side["votes"].items():
                delta["votes"][number] += sign * count
    # Part of the caller's transaction when there is one (no savepoint: a failure here fails
    # the whole submission anyway); its own otherwise.
    with transaction.atomic(savepoint=False):
        for key in sorted(deltas):  # one order everywhere: no deadlock between two TPS
            _move(key, deltas[key])


def _added_votes(votes: dict[str, int]) -> RawSQL:
    """The counter's votes JSON plus ``votes`` (ballot number → delta), computed by
    PostgreSQL in the UPDATE that moves the numbers (no read-modify-write round trips)."""
    column = f"{connection.ops.quote_name(TallyCounter._meta.db_table)}.\"votes\""
    return RawSQL(
        "(SELECT COALESCE(jsonb_object_agg(k, n), '{}'::jsonb) FROM (SELECT k, SUM(n) AS n FROM ("
        f"SELECT key AS k, value::bigint AS n FROM jsonb_each_text(COALESCE({column}, "
        "'{}'::jsonb)) UNION ALL SELECT key, value::bigint FROM jsonb_each_text(%s::jsonb)"
        ") AS d GROUP BY k) AS s)", [json.dumps(votes)], output_field=JSONField())


def _move(key, delta) -> None:
    election_id, contest_id, kecamatan_id, kelurahan_id = key
    votes = {number: n for number, n in delta["votes"].items() if n}  # those that move
    numbers = {field: delta[field] for field in NUMBERS if delta[field]}
    if not numbers and not votes:
        return
    if connection.vendor == "postgresql":
        _upsert(key, numbers, votes)
        return
    # SQLite (one writer at a time): the numbers by an UPDATE, the votes JSON read, added to
    # and written back; the row created by the first entry of a kelurahan × contest.
    rows = TallyCounter.objects.filter(contest_id=contest_id, kelurahan_id=kelurahan_id)
    for _attempt in range(3):
        # Also when only the votes move: the UPDATE takes the row's lock before the read.
        changes = {field: F(field) + n for field, n in numbers.items()}
        changed = rows.update(**changes or {"reported": F("reported")})
        if changed:
            if votes:
                current = rows.values_list("pk", "votes").get()
                merged = dict(current[1] or {})
                for number, n in votes.items():
                    merged[number] = merged.get(number, 0) + n
                TallyCounter.objects.filter(pk=current[0]).update(votes=merged)
            return
        try:
            with transaction.atomic():  # the first entry of this kelurahan × contest
                TallyCounter.objects.create(
                    election_id=election_id, contest_id=contest_id, kecamatan_id=kecamatan_id,
                    kelurahan_id=kelurahan_id, votes=dict(delta["votes"]),
                    **{field: delta[field] for field in NUMBERS})
            return
        except IntegrityError:
            continue  # created meanwhile by another submission: add to it
    raise RuntimeError(f"tally counter {contest_id}/{kelurahan_id} could not be updated")


def _upsert(key, numbers: dict[str, int], votes: dict[str, int]) -> None:
    """PostgreSQL: one ``INSERT … ON CONFLICT DO UPDATE`` adds the deltas (the first entry
    of a kelurahan × contest creates the row). Inside a field submission it travels with the
    answer (nothing reads the counter before the commit), so the row's lock is held only from
    that last statement to the COMMIT: two submissions of one kelurahan barely wait."""
    election_id, contest_id, kecamatan_id, kelurahan_id = key
    table = connection.ops.quote_name(TallyCounter._meta.db_table)
    # A new row starts from what is added (a row that is missing has nothing to remove).
    first = [max(numbers.get(field, 0), 0) for field in NUMBERS]
    moves = [f'"{field}" = {table}."{field}" + %s' for field in numbers]
    params = [election_id, contest_id, kecamatan_id, kelurahan_id, *first,
              json.dumps({number: n for number, n in votes.items() if n > 0}),
              *numbers.values()]
    if votes:
        added = _added_votes(votes)
        moves.append(f'"votes" = {added.sql}')
        params += list(added.params)
    text = (f'INSERT INTO {table} ("election_id", "contest_id", "kecamatan_id", "kelurahan_id", '
            + ", ".join(f'"{field}"' for field in NUMBERS) + ', "votes") VALUES ('
            + ", ".join(["%s"] * (4 + len(NUMBERS))) + ", %s::jsonb) "
            'ON CONFLICT ("contest_id", "kelurahan_id") DO UPDATE SET ' + ", ".join(moves))
    if not idempotency.send_with_answer(text, params):
        with connection.cursor() as cursor:
            cursor.execute(text, params)


# --- from scratch --------------------------------------------------------------------------------


def _counted(election, contest=None):
    results = TpsResult.objects.filter(election=election, is_counted=True)
    return results.filter(contest=contest) if contest is not None else results


def compute(election, contest=None) -> dict[tuple, dict]:
    """From-scratch sums of the counted entries: {(contest_id, kelurahan_id): counter}."""
    results = _counted(election, contest)
    sums: dict[tuple, dict] = {}
    for row in results.order_by().values("contest_id", "kecamatan_id", "kelurahan_id").annotate(
            reported=Count("pk"),
            to_verify=Count("pk", filter=Q(status=ResultStatus.PERLU_VERIFIKASI)),
            dpt_reported=Sum("tps__dpt_total"),
            voters=Sum(F("voters_dpt") + F("voters_dptb") + F("voters_dpk")),
            valid=Sum("valid"), invalid=Sum("invalid")):
        row["votes"] = {}
        for field in NUMBERS:
            row[field] = row[field] or 0
        sums[(row["contest_id"], row["kelurahan_id"])] = row
    for (contest_id, kelurahan_id), number, n in _vote_sums(results):
        sums[(contest_id, kelurahan_id)]["votes"][number] = n
    return sums


def _vote_sums(results):
    """((contest_id, kelurahan_id), ballot number as str, votes) of ``results``, summed in
    the database on PostgreSQL."""
    if connection.vendor == "postgresql":
        sql, params = results.order_by().values_list(
            "contest_id", "kelurahan_id", "votes").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.c, s.k, e.key, SUM(e.value::bigint) FROM ({sql}) AS s(c, k, v) "
                "CROSS JOIN LATERAL jsonb_each_text(s.v) AS e GROUP BY 1, 2, 3", params)
            for contest_id, kelurahan_id, number, n in cursor.fetchall():
                yield (contest_id, kelurahan_id), number, int(n)
        return
    sums: dict[tuple, int] = defaultdict(int)
    for contest_id, kelurahan_id, votes in results.order_by().values_list(
            "contest_id", "kelurahan_id", "votes").iterator(chunk_size=5000):
        for number, n in (votes or {}).items():
            sums[(contest_id, kelurahan_id, str(number))] += int(n)
    for (contest_id, kelurahan_id, number), n in sums.items():
        yield (contest_id, kelurahan_id), number, n


def rebuild(election, contest=None) -> int:
    """Replace the counters of ``election`` (one contest, or all) by from-scratch sums;
    returns the number of counter rows. All or nothing."""
    sums = compute(election, contest)
    with transaction.atomic():
        stale = TallyCounter.objects.filter(election=election)
        if contest is not None:
            stale = stale.filter(contest=contest)
        stale.delete()
        TallyCounter.objects.bulk_create(
            [TallyCounter(election_id=election.pk, contest_id=row["contest_id"],
                          kecamatan_id=row["kecamatan_id"], kelurahan_id=row["kelurahan_id"],
                          votes=row["votes"], **{f: row[f] for f in NUMBERS})
             for row in sums.values()], batch_size=2000)
    return len(sums)


def check(election, contest=None) -> list[dict]:
    """Where the stored counters differ from a from-scratch sum: ``[{"contest_id",
    "kelurahan_id", "field", "stored", "expected"}]`` (empty when consistent)."""
    expected = compute(election, contest)
    stored_rows = TallyCounter.objects.filter(election=election)
    if contest is not None:
        stored_rows = stored_rows.filter(contest=contest)
    stored = {(c.contest_id, c.kelurahan_id): c for c in stored_rows}
    problems = []
    for key in sorted(set(expected) | set(stored), key=str):
        want, have = expected.get(key), stored.get(key)
        for field in NUMBERS:
            a = getattr(have, field) if have else 0
            b = want[field] if want else 0
            if a != b:
                problems.append({"contest_id": key[0], "kelurahan_id": key[1], "field": field,
                                 "stored": a, "expected": b})
        a = {k: v for k, v in (have.votes if have else {}).items() if v}
        b = {k: v for k, v in (want["votes"] if want else {}).items() if v}
        if a != b:
            problems.append({"contest_id": key[0], "kelurahan_id": key[1], "field": "votes",
                             "stored": a, "expected": b})
    return problems
