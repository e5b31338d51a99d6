"""SMS intake throughput: messages/s through the gateway webhook (``POST
/api/v1/sms/inbound/``: signature, sender lookup, parsing, scoped TPS, the voting module's
report or C.Hasil through core.field_commands, the log row and the reply, one transaction)
next to a bare baseline measured in the same run (``bench/sms_bare.py``: the same signature
check and JSON, one row inserted).

    .venv/bin/python bench/sms.py [--sqlite] [--tps 60] [--database-url URL] [--keep]

A voting day of ``--tps`` TPS in 5 kelurahan, one operator per kelurahan with a registered
phone, two contests of three pairs; per TPS six messages (BUKA, MULAI, TUTUP, HITUNG, the
mayor's and the governor's results, a tenth of them with arithmetic that fails), plus a
tenth of retries (the same gateway id again) and a twentieth malformed. In-process with the
Django test client (middleware included), one sender at a time; printed: messages/s, p50/p95
ms, queries per message, the ratio to the bare insert.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

SECRET = "bench-secret-" + "x" * 32


def build_world(n_tps: int):
    import datetime

    from django.utils import timezone

    from posko.accounts.models import Role, User
    from posko.core import clock
    from posko.elections.models import CandidatePair, Contest, Election, Tps
    from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi
    from posko.sms.models import PhoneCheck

    jatim = Provinsi.objects.create(code="35", name="Jawa Timur")
    malang = KabKota.objects.create(code="35.73", provinsi=jatim, name="Kota Malang")
    Pemda.objects.create(kabkota=malang, name="Pemerintah Kota Malang")
    kec = Kecamatan.objects.create(code="35.73.02", kabkota=malang, name="Klojen")
    election = Election.objects.create(name="Pilkada 2024", voting_date=datetime.date(2024, 11, 27),
                                       is_active=True)
    for level, kabkota in (("walikota", malang), ("gubernur", None)):
        contest = Contest.objects.create(election=election, name=level, level=level,
                                         provinsi=jatim, kabkota=kabkota)
        for n in (1, 2, 3):
            CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"C{n}",
                                         deputy_name=f"W{n}")
    kelurahan, phones = [], {}
    for k in range(5):
        kel = Kelurahan.objects.create(code=f"35.73.02.100{k + 1}", kecamatan=kec,
                                       name=f"Kel {k + 1}")
        kelurahan.append(kel)
        user = User.objects.create_user(f"lurah{k}", role=Role.KELURAHAN, kelurahan=kel,
                                        phone=f"08123456700{k}")
        PhoneCheck.objects.create(user=user, phone=user.phone, verified_at=timezone.now())
        phones[kel.code] = f"+628123456700{k}"
    tps = [Tps.objects.create(election=election, kelurahan=kelurahan[i % 5], number=i // 5 + 1,
                              dpt_men=200, dpt_women=210) for i in range(n_tps)]
    clock.simulate(timezone.make_aware(datetime.datetime(2024, 11, 27, 16, 0)))
    return tps, phones


def messages(tps, phones, rng) -> list[dict]:
    """Per TPS, in the order of the day; retries and malformed messages mixed in."""
    day, out, n = [], [], 0
    for t in tps:
        code = t.kelurahan_id.replace(".", "")
        head = f"{code} {t.number:03d}"
        texts = [f"T {head} BUKA 0705", f"t {head} mulai 07.20", f"T {head} TUTUP 1302",
                 f"T {head} HITUNG 1315"]
        for contest in ("W", "G"):
            a, b, c = rng.randint(50, 150), rng.randint(50, 150), rng.randint(20, 80)
            valid = a + b + c + (1 if rng.random() < 0.1 else 0)  # a tenth do not add up
            texts.append(f"H {head} {contest} {a} {b} {c} S {valid} TS {rng.randint(0, 9)}")
        day.append([(text, phones[t.kelurahan_id]) for text in texts])
    for steps in zip(*day, strict=True):  # every TPS opens, then every TPS starts, …
        for text, sender in steps:
            n += 1
            out.append({"id": f"gw-{n}", "from": sender, "text": text})
            if rng.random() < 0.1:
                out.append({"id": f"gw-{n}", "from": sender, "text": text})  # a retry
            if rng.random() < 0.05:
                n += 1
                out.append({"id": f"gw-{n}", "from": sender, "text": "T " + text[2:9]})
    return out


def run(client, url, payloads, sign) -> tuple[list[float], list[int], dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, statuses = [], [], {}
    for payload in payloads:
        body = json.dumps(payload).encode()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post(url, body, content_type="application/json",
                                   HTTP_X_POSKO_SIGNATURE=sign(SECRET, body))
            times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (payload, response.content)
        status = response.json().get("status", "bare")
        if response.json().get("duplicate"):
            status = "duplicate"
        statuses[status] = statuses.get(status, 0) + 1
        queries.append(len(captured))
    return times, queries, statuses


def report(label, times, queries, baseline=None) -> float:
    rate = len(times) / (sum(times) / 1000)
    ordered = sorted(times)
    common.figure(f"{label}: messages/s", f"{rate:.0f}" + (
        f"  ({common.ratio(rate, baseline)} of bare)" if baseline else ""))
    common.figure(f"{label}: p50 / p95 ms", f"{statistics.median(ordered):.1f} / "
                                            f"{ordered[int(len(ordered) * 0.95) - 1]:.1f}")
    common.figure(f"{label}: queries per message (mean / max)",
                  f"{statistics.mean(queries):.1f} / {max(queries)}")
    return rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--tps", type=int, default=60)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = common.sqlite_url() if args.sqlite else (
        args.database_url or common.default_postgres_url("sms"))
    if not args.sqlite:
        common.fresh_postgres(url)
    common.setup_django(url)
    try:
        from django.test import Client, override_settings

        from posko.sms.signature import sign

        print(f"SMS intake on {'SQLite' if args.sqlite else url}", flush=True)
        common.figure("migrate", f"{common.migrate():.1f} s")
        tps, phones = build_world(args.tps)
        payloads = messages(tps, phones, random.Random(18))
        bare_payloads = [{**p, "id": f"bare-{i}"} for i, p in enumerate(payloads)]
        client = Client()
        with override_settings(POSKO_SMS_WEBHOOK_SECRET=SECRET, POSKO_SMS_OUTBOUND_URL="",
                               ROOT_URLCONF="bench.sms_bare",
                               ALLOWED_HOSTS=["testserver"]):
            run(client, "/bare/sms/", bare_payloads[:20], sign)  # warm both paths
            from posko.sms.models import SmsMessage

            SmsMessage.objects.all().delete()
            bare_t, bare_q, _ = run(client, "/bare/sms/", bare_payloads, sign)
            SmsMessage.objects.all().delete()
            sms_t, sms_q, statuses = run(client, "/api/v1/sms/inbound/", payloads, sign)
        print(f"  {len(payloads)} messages for {args.tps} TPS; outcomes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
        base = report("bare insert", bare_t, bare_q)
        report("SMS webhook", sms_t, sms_q, baseline=base)
        stored = SmsMessage.objects.count()
        unique = len({p["id"] for p in payloads})
        common.figure("log rows / distinct gateway ids", f"{stored} / {unique}")
        return 0 if stored == unique else 1
    finally:
        if not args.sqlite and not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_postgres(url)


if __name__ == "__main__":
    sys.exit(main())
