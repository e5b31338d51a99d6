"""The statistical anomaly flags (``posko.voting.services.anomalies.recompute``) at scale:
a governor's contest of 100,000 TPS and one of 435,296 TPS (PostgreSQL).

```
.venv/bin/python bench/voting_anomalies.py [--database-url URL] [--keep]
```

The world, synthetic and deterministic (``hashint8``), written with ``INSERT … SELECT``:
two provinces, "91" with 25 kab/kota and "92" with 96, each kab/kota 20 kecamatan × 20
kelurahan; 10 TPS per kelurahan in 91 (100,000), 11–12 in 92 (435,296); a governor's
contest per province (3 pairs) and for every TPS its counted Pemda C.Hasil: turnout around
65 % (sd ≈ 7 points), 1–4 % invalid, shares 40/35/25 ± 30 %. Planted: 1 TPS in 1,000 at
97 % turnout, 1 in 5,000 a copy of the TPS before it (same kecamatan), and one kecamatan per
province whose votes are all rounded to multiples of 5.

Measured: ``recompute`` of each contest, first run (writes the flags) and second run
(nothing changed: no writes), and the peak RSS of the process after each; the baseline is a
plain streamed read of the same rows (same columns, same join to the TPS) in the same run.
Memory is bounded when the peak after the 435,296-TPS contest is about the peak after the
100,000-TPS one (the work is per kab/kota). Data checks: the planted kecamatan are flagged,
≥ 60 % of the planted 97 % TPS (a TPS must be far from both its kelurahan's and its
kecamatan's median; ten TPS a kelurahan make a noisy MAD) and every planted copy are
flagged, and a second run
changes nothing."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

PROVINCES = {"91": (25, 100_000), "92": (96, 435_296)}  # kab/kota, TPS
KECAMATAN, KELURAHAN = 20, 20  # per kab/kota, per kecamatan


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(election_id: int) -> dict[str, int]:
    """The regions, TPS and counted results; returns {province: contest id}."""
    from django.db import connection

    from posko.elections.models import CandidatePair, Contest
    from posko.regions.models import Provinsi

    contests = {}
    with connection.cursor() as cur:
        for province, (kabkota, tps_total) in PROVINCES.items():
            Provinsi.objects.create(code=province, name=f"Provinsi Bench {province}")
            cur.execute("""
                INSERT INTO regions_kabkota (code, provinsi_id, name)
                SELECT %(p)s || '.' || lpad(k::text, 2, '0'), %(p)s, 'Kab Bench ' || k
                FROM generate_series(1, %(k)s) k""", {"p": province, "k": kabkota})
            cur.execute("""
                INSERT INTO regions_kecamatan (code, kabkota_id, name)
                SELECT b.code || '.' || lpad(c::text, 2, '0'), b.code, 'Kec ' || b.code || '.' || c
                FROM regions_kabkota b, generate_series(1, %(n)s) c
                WHERE b.provinsi_id = %(p)s""", {"p": province, "n": KECAMATAN})
            cur.execute("""
                INSERT INTO regions_kelurahan (code, kecamatan_id, name)
                SELECT k.code || '.' || (1000 + l)::text, k.code, 'Kel ' || k.code || '.' || l
                FROM regions_kecamatan k JOIN regions_kabkota b ON b.code = k.kabkota_id,
                     generate_series(1, %(n)s) l
                WHERE b.provinsi_id = %(p)s""", {"p": province, "n": KELURAHAN})
            villages = kabkota * KECAMATAN * KELURAHAN
            base, extra = divmod(tps_total, villages)
            cur.execute("""
                INSERT INTO elections_tps (election_id, kelurahan_id, kecamatan_id, kabkota_id,
                    number, address, rt, rw, dpt_men, dpt_women, special_location,
                    special_location_note, accessible, notes, created_at, updated_at)
                SELECT %(e)s, v.code, v.kecamatan_id, left(v.code, 5), n, '', '', '',
                       75 + (abs(hashint8(v.rn * 64 + n)) %% 225),
                       75 + (abs(hashint8(v.rn * 64 + n + 32)) %% 225), '', '', true, '',
                       now(), now()
                FROM (SELECT code, kecamatan_id, row_number() OVER (ORDER BY code) AS rn
                      FROM regions_kelurahan WHERE code LIKE %(like)s) v,
                     generate_series(1, %(base)s + CASE WHEN v.rn <= %(extra)s THEN 1 ELSE 0 END) n
                """, {"e": election_id, "like": f"{province}.%", "base": base, "extra": extra})
            contest = Contest.objects.create(election_id=election_id, name=f"Gubernur {province}",
                                             level="gubernur", provinsi_id=province)
            for n in (1, 2, 3):
                CandidatePair.objects.create(contest=contest, ballot_number=n,
                                             head_name=f"Calon {n}", deputy_name=f"Wakil {n}")
            contests[province] = contest.pk
            _results(cur, election_id, contest.pk, province)
        cur.execute("ANALYZE")
    return contests


def _results(cur, election_id: int, contest_id: int, province: str) -> None:
    from posko.voting.models import TpsResult

    u = "((hashint8(t.id * 16 + {k}) & 2147483647)::float8 / 2147483648.0)"
    turnout = (f"CASE WHEN abs(hashint8(t.id * 16 + 15)) %% 1000 = 0 THEN 0.97 ELSE "
               f"least(0.95, greatest(0.3, 0.65 + 0.14 * ({u.format(k=1)} + {u.format(k=2)} "
               f"+ {u.format(k=3)} - 1.5))) END")
    columns = ["kabkota_id", "kecamatan_id", "kelurahan_id", "election_id", "tps_id",
               "contest_id", "source", "version", "is_current", "is_counted", "voters_dpt",
               "voters_dptb", "voters_dpk", "valid", "invalid", "votes", "status", "checks",
               "flags", "stat_flags", "external_ref", "device", "reason", "entered_at"]
    # Columns other parts of the module add later: their model defaults.
    others = {f.column: f.get_default() for f in TpsResult._meta.concrete_fields
              if f.column not in columns and f.column != "id" and not f.null}
    extra = {column: json.dumps(value) if isinstance(value, dict | list) else value
             for column, value in others.items()}
    cur.execute(f"""
        INSERT INTO voting_tpsresult ({", ".join(columns + list(extra))})
        SELECT kabkota_id, kecamatan_id, kelurahan_id, %(e)s, id, %(c)s, 'pemda', 1, true, true,
               voters, 0, 0, voters - invalid, invalid,
               jsonb_build_object('1', v1, '2', v2, '3', voters - invalid - v1 - v2),
               'tercatat', '[]', '[]', '[]', '', '', '', now()
               {"".join(f", %(x_{c})s" for c in extra)}
        FROM (SELECT *, floor((voters - invalid) * w1 / (w1 + w2 + w3))::int AS v1,
                     floor((voters - invalid) * w2 / (w1 + w2 + w3))::int AS v2
              FROM (SELECT *, floor(voters * (0.01 + 0.03 * u4))::int AS invalid
                    FROM (SELECT t.id, t.kabkota_id, t.kecamatan_id, t.kelurahan_id,
                                 floor(t.dpt_total * {turnout})::int AS voters,
                                 {u.format(k=4)} AS u4,
                                 0.40 * (0.7 + 0.6 * {u.format(k=5)}) AS w1,
                                 0.35 * (0.7 + 0.6 * {u.format(k=6)}) AS w2,
                                 0.25 * (0.7 + 0.6 * {u.format(k=7)}) AS w3
                          FROM elections_tps t WHERE t.kabkota_id LIKE %(like)s) a) b) c
        """, {"e": election_id, "c": contest_id, "like": f"{province}.%",
              **{f"x_{c}": v for c, v in extra.items()}})
    # copies: 1 TPS in 5,000 gets the result of the TPS before it in the same kecamatan
    cur.execute("""
        UPDATE voting_tpsresult r SET votes = s.votes, valid = s.valid, invalid = s.invalid,
               voters_dpt = s.voters_dpt
        FROM voting_tpsresult s
        WHERE r.contest_id = %(c)s AND s.contest_id = %(c)s AND s.tps_id = r.tps_id - 1
          AND s.kecamatan_id = r.kecamatan_id AND abs(hashint8(r.tps_id * 16 + 9)) %% 5000 = 0
        """, {"c": contest_id})
    # one kecamatan with invented numbers: every count a multiple of 5
    cur.execute("""
        UPDATE voting_tpsresult SET votes = jsonb_build_object(
            '1', ((votes->>'1')::int / 5) * 5, '2', ((votes->>'2')::int / 5) * 5,
            '3', ((votes->>'3')::int / 5) * 5)
        WHERE contest_id = %(c)s AND kecamatan_id = %(k)s""",
                {"c": contest_id, "k": f"{province}.01.01"})


def planted(contest_id: int, condition: str) -> list[int]:
    """TPS ids of the contest's results ``r`` (with ``s`` the TPS before, same kecamatan)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"""
            SELECT r.tps_id FROM voting_tpsresult r JOIN voting_tpsresult s
              ON s.contest_id = r.contest_id AND s.tps_id = r.tps_id - 1
             AND s.kecamatan_id = r.kecamatan_id
            WHERE r.contest_id = {int(contest_id)} AND {condition}""")
        return [row[0] for row in cur.fetchall()]


def baseline_read(contest) -> tuple[float, int]:
    from posko.voting.services import anomalies

    with common.timer() as elapsed:
        rows = sum(1 for _ in anomalies.counted(contest).values_list(
            *anomalies.FIELDS).iterator(chunk_size=2000))
    return elapsed(), rows


def main(argv=None) -> int:
    return common.run_on_fresh_postgres(argv, __doc__.split("\n")[0], "anomalies", "voting anomalies", run)


def run() -> int:
    import datetime

    from posko.elections.models import Contest, Election
    from posko.voting.models import AreaFlag, TpsResult
    from posko.voting.services import anomalies

    election = Election.objects.create(name="Pilkada bench", voting_date=datetime.date(2024, 11, 27),
                                       is_active=True)
    with common.timer() as elapsed:
        contests = build(election.pk)
    common.figure("world built (regions, TPS, results)", f"{elapsed():.1f} s")
    common.figure("peak RSS after building", f"{rss_mb():.0f} MB")
    ok = True
    for province, contest_id in contests.items():
        contest = Contest.objects.get(pk=contest_id)
        kabkota, tps = PROVINCES[province]
        print(f"\n{contest.name}: {tps:,} TPS in {kabkota} kab/kota", flush=True)
        base, rows = baseline_read(contest)
        common.figure("baseline: plain streamed read of the rows", f"{base:.2f} s ({rows:,} rows)")
        with common.timer() as first:
            counts = anomalies.recompute(contest)
        common.figure("recompute, first run (writes flags)",
                      f"{first():.2f} s  ({common.ratio(first(), base)} the read; "
                      f"{1e6 * first() / rows:.0f} µs/TPS)")
        common.figure("  TPS flagged / kecamatan flagged",
                      f"{counts['tps_flagged']:,} / {counts['kecamatan_flagged']}")
        common.figure("peak RSS after the first run", f"{rss_mb():.0f} MB")
        with common.timer() as second:
            again = anomalies.recompute(contest)
        common.figure("recompute, second run (nothing changed)",
                      f"{second():.2f} s  ({common.ratio(second(), base)} the read)")
        common.figure("peak RSS after the second run", f"{rss_mb():.0f} MB")
        flagged = AreaFlag.objects.filter(contest=contest, code=anomalies.DIGITS)
        planted_kec = flagged.filter(kecamatan_id=f"{province}.01.01").exists()
        counted = anomalies.counted(contest)
        high = counted.filter(tps_id__in=planted(contest_id, "abs(hashint8(r.tps_id * 16 + 15)) "
                                                 "% 1000 = 0"))
        high_flagged = sum(1 for f in high.values_list("stat_flags", flat=True)
                           if any(x["code"] == "z_turnout" for x in f))
        copies = counted.filter(tps_id__in=planted(contest_id, "abs(hashint8(r.tps_id * 16 + 9)) "
                                                   "% 5000 = 0 AND r.votes = s.votes"))
        copy_total = copies.count()
        copy_flagged = sum(1 for f in copies.values_list("stat_flags", flat=True)
                           if any(x["code"] == anomalies.SAME for x in f))
        common.figure("check: planted kecamatan flagged", "yes" if planted_kec else "NO")
        common.figure("check: planted 97 % TPS flagged", f"{high_flagged} of {high.count()}")
        common.figure("check: planted copies flagged", f"{copy_flagged} of {copy_total}")
        common.figure("check: second run changed", f"{again['changed']} rows")
        ok &= planted_kec and high_flagged >= 0.6 * high.count() and again["changed"] == 0 \
            and copy_flagged >= copy_total and counts["entries"] == tps == rows
    total = TpsResult.objects.exclude(stat_flags=[]).count()
    common.figure("\nTPS with statistical flags (both contests)", f"{total:,}")
    print("checks: " + ("ok" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
