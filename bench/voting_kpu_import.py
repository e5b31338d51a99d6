"""The KPU import (``posko.voting.imports.KpuImporter``) of a city's per-TPS files, and the
verification queue, on PostgreSQL.

```
.venv/bin/python bench/voting_kpu_import.py [--database-url URL] [--keep]
```

A city like Kota Malang: 5 kecamatan × 12 kelurahan × 20 TPS = 1,200 TPS, a mayor's
contest (3 pairs) with a Pemda C.Hasil at every TPS (bulk-created, then reconciled). A zip
of 1,200 KPU files (Sirekap's shape, ~0.5 KB each; 10 % disagree with the Pemda).

Measured: the first import (1,200 entries created and reconciled), the same zip again
(nothing changes), the zip with 120 files changed (120 new versions); the baseline is
reading the same zip and parsing every JSON file in the same run (what any importer pays).
Then the verification queue page (p50/p95 of 20 requests) as the Desk admin. Data checks:
counts created/unchanged/updated, 1,200 reconciliations, 228 disagreements (the 120 misread
and the 120 changed files, 12 of them both)."""

from __future__ import annotations

import io
import json
import statistics
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

KECAMATAN, KELURAHAN, TPS = 5, 12, 20


def kpu_file(tps_number: int, votes: tuple[int, int, int], ts: str) -> bytes:
    valid = sum(votes)
    return json.dumps({
        "chart": {"100001": votes[0], "100002": votes[1], "100003": votes[2], "null": None},
        "images": [f"https://example.invalid/{tps_number}-{i}.jpg" for i in (1, 2)] + [None],
        "administrasi": {"suara_sah": valid, "suara_tidak_sah": 5, "suara_total": valid + 5,
                         "pengguna_dpt_j": valid + 5, "pengguna_dptb_j": 0,
                         "pengguna_non_dpt_j": 0, "pemilih_dpt_j": 400},
        "psu": None, "ts": ts, "status_suara": True, "status_adm": True}).encode()


def build():
    import datetime

    from django.utils import timezone

    from posko.accounts.models import Role, User
    from posko.elections.models import CandidatePair, Contest, Election, Tps
    from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi
    from posko.voting.models import Source, TpsResult

    Provinsi.objects.create(code="35", name="Jawa Timur")
    city = KabKota.objects.create(code="35.73", provinsi_id="35", name="Kota Bench")
    Pemda.objects.create(kabkota=city, name="Pemda Bench")
    election = Election.objects.create(name="Pilkada Bench", voting_date=datetime.date(
        2024, 11, 27), is_active=True)
    contest = Contest.objects.create(election=election, name="Wali Kota Bench",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"C{n}",
                                     deputy_name=f"W{n}")
    tps = []
    for k in range(1, KECAMATAN + 1):
        kec = Kecamatan.objects.create(code=f"35.73.{k:02d}", kabkota=city, name=f"Kec {k}")
        for v in range(1, KELURAHAN + 1):
            kel = Kelurahan.objects.create(code=f"{kec.code}.{1000 + v}", kecamatan=kec,
                                           name=f"Kel {k}.{v}")
            tps += [Tps(election=election, kelurahan=kel, kecamatan_id=kec.code,
                        kabkota_id="35.73", number=n, dpt_men=200, dpt_women=200)
                    for n in range(1, TPS + 1)]
    Tps.objects.bulk_create(tps, batch_size=1000)
    tps = list(Tps.objects.filter(election=election).order_by("kelurahan_id", "number"))
    admin = User.objects.create_user(username="admin", password="x", role=Role.ADMIN)
    entered = timezone.make_aware(datetime.datetime(2024, 11, 27, 16))
    rows = []
    for i, t in enumerate(tps):
        votes = {"1": 100 + i % 50, "2": 80 + i % 30, "3": 60 + i % 20}
        valid = sum(votes.values())
        rows.append(TpsResult.for_tps(
            t, contest=contest, source=Source.PEMDA, votes=votes, valid=valid, invalid=5,
            voters_dpt=valid + 5, ballots_used=valid + 5, ballots_received=None,
            ballots_unused=None, ballots_damaged=None, status="tercatat", is_counted=True,
            entered_at=entered, entered_by=admin))
    TpsResult.objects.bulk_create(rows, batch_size=1000)
    return election, contest, admin, tps


def make_zip(tps, ts: str, changed: int = 0, disagree_every: int = 10) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, t in enumerate(tps):
            votes = (100 + i % 50, 80 + i % 30, 60 + i % 20)
            if i % disagree_every == 0:
                votes = (votes[0], votes[1] + 90, votes[2])  # KPU misread
            if i < changed:
                votes = (votes[0] + 1, votes[1], votes[2])
            code = t.kelurahan_id.replace(".", "") + f"{t.number:03d}"
            archive.writestr(f"pkwkk/{code}.json", kpu_file(t.number, votes, ts))
    return buffer.getvalue()


def run() -> int:
    from django.test import Client

    from posko.core import constants
    from posko.voting.imports import KpuImporter
    from posko.voting.models import Reconciliation

    election, contest, admin, tps = build()
    first_zip = make_zip(tps, "2024-11-27 19:00:00")
    changed_zip = make_zip(tps, "2024-11-28 09:00:00", changed=120)
    print(f"{len(tps)} TPS, zip {len(first_zip) // 1024} KB", flush=True)

    def baseline() -> float:
        with common.timer() as elapsed:
            archive = zipfile.ZipFile(io.BytesIO(first_zip))
            for info in archive.infolist():
                json.loads(archive.read(info))
        return elapsed()

    base = min(baseline() for _ in range(3))
    common.figure("baseline: unzip + json.loads of every file", f"{base * 1000:.0f} ms")
    ok = True
    for label, data, expect in (("first import (1,200 created)", first_zip, (1200, 0, 0)),
                                ("same zip again (unchanged)", first_zip, (0, 0, 1200)),
                                ("120 files changed (versions)", changed_zip, (0, 120, 1080))):
        constants.forget()
        importer = KpuImporter(actor=admin, election=election, contest=contest.pk)
        with common.timer() as elapsed:
            result = importer.run(data, "kpu.zip")
        got = (result.created, result.updated, result.unchanged)
        ok &= result.ok and got == expect
        common.figure(label, f"{elapsed():.2f} s ({ratio(elapsed(), base)} baseline; "
                             f"{len(tps) / elapsed():.0f} files/s) {got}")
    recs = Reconciliation.objects.filter(contest=contest)
    disagree = recs.filter(agreement="disagree").count()
    ok &= recs.count() == 1200 and disagree == 120 + 120 - 12  # misread ∪ changed
    common.figure("reconciliations / disagree", f"{recs.count()} / {disagree}")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    client.get("/pemungutan/verifikasi/")
    times = []
    for _ in range(20):
        with common.timer() as elapsed:
            response = client.get("/pemungutan/verifikasi/")
        times.append(elapsed() * 1000)
        ok &= response.status_code == 200
    times.sort()
    common.figure("queue page p50 / p95", f"{statistics.median(times):.0f} ms / "
                                          f"{times[int(len(times) * 0.95) - 1]:.0f} ms")
    print("data checks:", "ok" if ok else "FAILED", flush=True)
    return 0 if ok else 1


def ratio(value: float, baseline: float) -> str:
    return common.ratio(value, baseline)


def main(argv=None) -> int:
    return common.run_on_fresh_postgres(argv, __doc__.split("\n")[0], "kpu", "KPU import", run)


if __name__ == "__main__":
    raise SystemExit(main())
