"""Demo of the three sources (Kota Malang, 27 Nov 2024), **generated**: KPU's per-TPS
record for every TPS and contest (as an import of KPU's files would store it: no ballot
counts, a file name and time stamp), a witness's entry at about one TPS in ten, and the
reconciliation of every TPS × contest.

KPU's numbers are the true ones (the Pemda's, its typing errors undone) except at
``KPU_MISREAD`` TPS per contest, where KPU read a pair's count wrongly (117 as 171, 17 as
817 …), as Sirekap did in 2024; ``WITNESS_WRONG`` witness entries per contest differ by a
few votes. ``VERIFIED`` of KPU's misreads per contest were decided by the Desk with a reason
(the Pemda's entry kept, as its photo shows); the Pemda's own misread entries are left "perlu
verifikasi" for the verifier (the counted entries, hence the tallies, are the Pemda's).

Only what exists by the demo's moment: KPU's records arrive between 16.00 and 17.30, the
witnesses' between 14.00 and 17.00, each decision 20 minutes after the last entry.

Seeded: every run builds the same rows; a second run changes nothing (nothing is added
once KPU's rows exist; missing reconciliations are added). Bulk writes."""

from __future__ import annotations

import datetime
import random

from posko.accounts.models import User
from posko.demo.timeline import rescale
from posko.voting.models import Reconciliation, ResultStatus, Source, TpsResult
from posko.voting.rules import result_checks, result_flags
from posko.voting.services.reconcile import compute

SEED = 2024_11_27_21
WITNESS_SHARE = 0.10
KPU_MISREAD = 12  # per contest
WITNESS_WRONG = 4  # per contest
VERIFIED = 6  # decisions per contest
NUMBERS = ("voters_dpt", "voters_dptb", "voters_dpk", "valid", "invalid", "ballots_received",
           "ballots_used", "ballots_unused", "ballots_damaged")


def _truth(entry: TpsResult) -> dict[int, int]:
    """The Pemda's votes with a leading-8 typing error undone (17 entered as 817)."""
    votes = {int(k): v for k, v in entry.votes.items()}
    if sum(votes.values()) == entry.valid:
        return votes
    for number, count in votes.items():
        text = str(count)
        if text.startswith("8") and len(text) > 1:
            fixed = {**votes, number: int(text[1:])}
            if sum(fixed.values()) == entry.valid:
                return fixed
    return votes


def _kpu_misread(rng: random.Random, votes: dict[int, int]) -> dict[int, int]:
    number = rng.choice(sorted(votes))
    text = str(votes[number])
    if len(text) >= 2 and text[-1] != text[-2]:
        wrong = int(text[:-2] + text[-1] + text[-2])  # 117 → 171
    else:
        wrong = int("8" + text)  # 17 → 817
    return {**votes, number: wrong}


def _entry(tps, contest, source, values, votes, *, entered, who, **extra) -> TpsResult:
    checks = result_checks(values, votes, tps.dpt_total)
    return TpsResult.for_tps(
        tps, contest=contest, source=source, version=1, is_current=True,
        votes={str(k): v for k, v in sorted(votes.items())}, checks=checks,
        flags=result_flags(values, votes, tps.dpt_total, closed_at=None, entered_at=entered),
        status=ResultStatus.PERLU_VERIFIKASI if checks else ResultStatus.TERCATAT,
        entered_at=entered, entered_by=who, **values, **extra)


def build_sources(result, election, at, as_of) -> None:
    """``at(day, minutes)``: a local time on a day; ``as_of``: the demo's moment. Call
    before the tallies are rebuilt."""
    pemda = list(TpsResult.objects.filter(election=election, source=Source.PEMDA,
                                          is_current=True).select_related("tps", "contest")
                 .order_by("contest_id", "kelurahan_id", "tps__number"))
    if not pemda:
        return
    decisions = {}
    if not TpsResult.objects.filter(election=election, source=Source.KPU).exists():
        decisions = _generate(result, election, pemda, at, as_of)
    _reconcile(result, election, decisions)


def _generate(result, election, pemda, at, as_of) -> dict:
    rng = random.Random(SEED)
    admin = User.objects.filter(username="admin").first()
    operators = {u.kelurahan_id: u for u in User.objects.filter(kelurahan__isnull=False)}
    day = election.voting_date
    rows, decisions = [], {}
    by_contest: dict[int, list[TpsResult]] = {}
    for entry in pemda:
        by_contest.setdefault(entry.contest_id, []).append(entry)
    for entries in by_contest.values():
        kpu_wrong = set(rng.sample(range(len(entries)), min(KPU_MISREAD, len(entries))))
        witnessed = [i for i in range(len(entries)) if rng.random() < WITNESS_SHARE]
        witness_wrong = set(witnessed[:: max(1, len(witnessed) // WITNESS_WRONG)][:WITNESS_WRONG])
        misread_pemda = {i for i, e in enumerate(entries) if e.checks}
        kept = set(sorted(kpu_wrong - misread_pemda)[:VERIFIED])  # the Pemda's entry kept
        for index, entry in enumerate(entries):
            tps, truth = entry.tps, _truth(entry)
            values = {f: getattr(entry, f) for f in NUMBERS}
            kpu_values = {**{f: values[f] for f in NUMBERS[:5]}, "ballots_received": None,
                          "ballots_unused": None, "ballots_damaged": None,
                          "ballots_used": values["valid"] + values["invalid"]}
            kpu_votes = _kpu_misread(rng, truth) if index in kpu_wrong else truth
            minutes = rescale(rng.randint(18 * 60, 23 * 60 + 50), 18 * 60, 23 * 60 + 50,
                              19 * 60 + 30) - 2 * 60  # 16.00-17.30
            ts = at(day, minutes)
            code = tps.kelurahan_id.replace(".", "") + f"{tps.number:03d}"
            stamp = ts.strftime("%Y-%m-%d %H:%M:%S")
            rows.append(None if ts > as_of else _entry(
                tps, entry.contest, Source.KPU, kpu_values, kpu_votes, entered=ts, who=admin,
                external_ref=f"{code}.json@{stamp}", device="impor KPU",
                evidence={"file": f"{code}.json", "ts": stamp, "images": [],
                          "status_suara": True, "status_adm": True}))
            if index in witnessed:
                votes = dict(truth)
                if index in witness_wrong:
                    number = max(votes, key=votes.get)
                    votes[number] -= rng.randint(2, 9)
                    values = {**values, "valid": sum(votes.values()),
                              "ballots_used": sum(votes.values()) + values["invalid"]}
                seen = at(day, rng.randint(14 * 60, 17 * 60))
                rows.append(None if seen > as_of else _entry(
                    tps, entry.contest, Source.SAKSI, values, votes, entered=seen,
                    who=operators.get(tps.kelurahan_id, admin), device="aplikasi saksi"))
            # After every entry of the TPS and contest (a later entry reopens a decision).
            last = max(ts, entry.entered_at, seen if index in witnessed else ts)
            decided = last + datetime.timedelta(minutes=20)
            if index in kept and decided <= as_of:
                decisions[(tps.pk, entry.contest_id)] = (
                    admin, decided,
                    "Foto C.Hasil cocok dengan isian Pemda; angka KPU salah baca (Sirekap).")
    rows = [row for row in rows if row is not None]
    TpsResult.objects.bulk_create(rows, batch_size=1000)
    result.other_changes += len(rows)
    return decisions


def _reconcile(result, election, decisions: dict) -> None:
    have = set(Reconciliation.objects.filter(election=election).values_list("tps_id",
                                                                           "contest_id"))
    entries: dict[tuple[int, int], dict] = {}
    counted: dict[tuple[int, int], TpsResult] = {}
    for entry in TpsResult.objects.filter(election=election, is_current=True).select_related(
            "tps").iterator(chunk_size=2000):
        key = (entry.tps_id, entry.contest_id)
        if key in have:
            continue
        entries.setdefault(key, {})[entry.source] = entry
        if entry.is_counted:
            counted[key] = entry
    rows = []
    for key, current in entries.items():
        rec = Reconciliation.for_tps(next(iter(current.values())).tps, contest_id=key[1])
        if key in decisions:
            rec.verified_by, rec.verified_at, rec.reason = decisions[key]
            rec.counted_id = counted[key].pk if key in counted else None
        compute(rec, current, counted.get(key))
        rows.append(rec)
    Reconciliation.objects.bulk_create(rows, batch_size=1000)
    result.other_changes += len(rows)
