"""The field app's outbox after "coming back online" (issue 18): 10,000 queued submissions
replayed by simulated phones through the real HTTP API, with retries and duplicates, all
stored once; throughput and p50/p95/p99 next to the same count of bare DRF inserts measured
in the same run.

```
.venv/bin/python bench/offline_replay.py [--submissions 10000] [--tps 1000] [--threads 32]
    [--workers 3] [--lost 0.05] [--replayed 0.03] [--keep]
```

Servers as the README configures them: gunicorn sync workers on PostgreSQL (fresh databases,
``h_pwa`` and ``h_pwa_bare`` unless ``POSKO_BENCH_DATABASE_URL`` names the first), DEBUG off.

- **Posko**: ``--tps`` TPS in 100 kelurahan of one Pemda, voting day today, a device token per
  kelurahan (the rehearsal's ``gladi.<kelurahan>`` kelurahan operators). Each TPS is a phone
  whose outbox holds ``submissions / tps`` status reports made offline (officers present,
  capture time, each with its own ``Idempotency-Key``). When the burst starts every phone is
  online at once; ``--threads`` threads drain the phones, each phone one entry at a time in
  order (as outbox.js does). Disorder on purpose: ``--lost`` of the answers are "lost on the
  way" (the request reached the server, the phone never heard back and sends the entry
  again under the same key), ``--replayed`` of the entries are sent a second time after
  their 201 (a phone replaying its queue); a 409 "still being processed", a 5xx or a broken
  connection is retried with exponential backoff (50 ms × 2^n, at most 8 tries).
- **bare**: ``bench/bare_drf`` (Django + DRF, token auth, a ModelViewSet that validates and
  inserts one row), the same number of POSTs from the same threads, no duplicates.

Checked: the database holds exactly ``submissions`` status events and idempotency keys of the
phones (nothing lost, nothing twice); replays answered with ``Idempotent-Replayed``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import sys
import threading
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.incidents import free_port, load, percentile  # noqa: E402
from bench.request_path import prepare_bare, start  # noqa: E402


def prepare_posko(url: str, n_tps: int) -> dict:
    common.fresh_postgres(url)
    common.setup_django(url)
    common.migrate()
    from django.utils import timezone

    from posko.elections.models import Election, Tps
    from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi
    from posko.voting import rehearsal

    jatim = Provinsi.objects.create(code="35", name="Jawa Timur")
    kota = KabKota.objects.create(code="35.73", provinsi=jatim, name="Kota Malang")
    Pemda.objects.create(kabkota=kota, name="Pemerintah Kota Malang")
    kecamatan = [Kecamatan.objects.create(code=f"35.73.{k:02d}", kabkota=kota,
                                          name=f"Kecamatan {k}") for k in range(1, 6)]
    kelurahan = Kelurahan.objects.bulk_create([
        Kelurahan(code=f"{kecamatan[i % 5].code}.{1001 + i}", kecamatan=kecamatan[i % 5],
                  name=f"Kelurahan {i}") for i in range(100)])
    election = Election.objects.create(name="Pilkada bench", voting_date=timezone.localdate(),
                                       is_active=True)
    per = -(-n_tps // len(kelurahan))
    Tps.objects.bulk_create([
        Tps(election=election, kelurahan=kel, kecamatan_id=kel.kecamatan_id, kabkota_id="35.73",
            number=n, dpt_men=200, dpt_women=210, address=f"Jl. Bench {n}")
        for kel in kelurahan for n in range(1, per + 1)][:n_tps])
    tps = list(Tps.objects.filter(election=election).values_list("pk", "kelurahan_id"))
    tokens = rehearsal.device_tokens(k for _pk, k in tps)
    from django.db import connections

    connections.close_all()
    return {"tps": tps, "tokens": tokens}


def stored_counts(url: str) -> tuple[int, int]:
    common.setup_django(url)
    from posko.core.models import IdempotencyKey
    from posko.voting.models import StatusEvent

    return (StatusEvent.objects.count(),
            IdempotencyKey.objects.filter(user__username__startswith="gladi.").count())


class Phone:
    """One TPS's outbox: entries made offline, each with its key and capture time."""

    def __init__(self, tps: int, token: str, count: int, rng: random.Random):
        now = time.time()
        self.token, self.entries = token, []
        for i in range(count):
            captured = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 600 + i))
            body = json.dumps({"kpps_present": 7, "linmas_present": (i % 3) + 1,
                               "note": f"offline {i}", "happened_at": captured})
            self.entries.append((f"/api/v1/voting/tps/{tps}/report/", body, str(uuid.uuid4())))
        self.rng = rng


def replay(port: int, phones: list[Phone], threads: int, lost: float, replayed: float) -> dict:
    work: queue.Queue = queue.Queue()
    for phone in phones:
        work.put(phone)
    latencies, statuses, lock = [], {}, threading.Lock()
    tally = {"requests": 0, "lost": 0, "replayed": 0, "replay_answers": 0, "retries": 0,
             "gave_up": 0}

    def post(conn, path, body, key, token):
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Idempotency-Key": key}
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status, again = response.status, response.getheader("Idempotent-Replayed") == "true"
        except (http.client.HTTPException, OSError):
            conn.close()
            status, again = 0, False
        return status, again, time.perf_counter() - started

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        counts = dict.fromkeys(tally, 0)
        while True:
            try:
                phone = work.get_nowait()
            except queue.Empty:
                break
            for path, body, key in phone.entries:
                tries, done = 0, False
                while not done and tries < 8:
                    status, again, took = post(conn, path, body, key, phone.token)
                    if status == 0:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    counts["requests"] += 1
                    mine.append(took)
                    codes[status] = codes.get(status, 0) + 1
                    counts["replay_answers"] += again
                    tries += 1
                    if status == 201 and phone.rng.random() < lost:
                        counts["lost"] += 1  # the answer never reached the phone: send again
                        continue
                    if status in (0, 409, 429) or status >= 500:
                        counts["retries"] += 1
                        time.sleep(min(2.0, 0.05 * 2 ** tries))
                        continue
                    done = True
                if not done:
                    counts["gave_up"] += 1
                if phone.rng.random() < replayed:  # the queue replayed after its 201
                    counts["replayed"] += 1
                    status, again, took = post(conn, path, body, key, phone.token)
                    counts["requests"] += 1
                    mine.append(took)
                    codes[status] = codes.get(status, 0) + 1
                    counts["replay_answers"] += again
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v
            for k, v in counts.items():
                tally[k] += v

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99), "statuses": statuses, **tally}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--tps", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--lost", type=float, default=0.05)
    parser.add_argument("--replayed", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    posko_url = os.environ.get("POSKO_BENCH_DATABASE_URL") or f"{common.POSTGRES_SERVER}/h_pwa"
    bare_url = posko_url + "_bare"
    bare_token = prepare_bare(bare_url)
    with common.timer() as took:
        data = prepare_posko(posko_url, args.tps)
    rng = random.Random(args.seed)
    per, extra = divmod(args.submissions, len(data["tps"]))
    phones = [Phone(pk, data["tokens"][kel], per + (i < extra), random.Random(rng.random()))
              for i, (pk, kel) in enumerate(data["tps"])]
    assert sum(len(p.entries) for p in phones) == args.submissions
    print(f"{len(phones)} phones (TPS) in 100 kelurahan, {args.submissions} queued submissions, "
          f"built in {took():.1f} s; gunicorn --workers {args.workers}, {args.threads} threads; "
          f"lost answers {args.lost:.0%}, replayed entries {args.replayed:.0%}", flush=True)
    ports = {"bare": free_port(), "posko": free_port()}
    servers = [start("bench.bare_drf.wsgi", "bench.bare_drf.settings", bare_url, ports["bare"],
                     args.workers),
               start("posko.wsgi", "posko.settings", posko_url, ports["posko"], args.workers)]
    try:
        load(ports["bare"], bare_token, lambda i: ("POST", "/items/", json.dumps(
            {"title": f"warm {i}", "number": i, "note": "warm"})), 60, 6)
        bare = load(ports["bare"], bare_token, lambda i: ("POST", "/items/", json.dumps(
            {"title": f"Barang {i}", "number": i, "note": "uji beban"})), args.submissions,
            args.threads)
        result = replay(ports["posko"], phones, args.threads, args.lost, args.replayed)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    events, keys = stored_counts(posko_url)
    stored_rate = args.submissions / result["elapsed"]
    common.figure("bare DRF insert (baseline)",
                  f"{bare['rate']:.0f}/s, p50 {bare['p50'] * 1000:.0f} ms, p95 "
                  f"{bare['p95'] * 1000:.0f} ms, p99 {bare['p99'] * 1000:.0f} ms {bare['statuses']}")
    common.figure("outbox replay: submissions stored/s",
                  f"{stored_rate:.0f}/s ({common.ratio(stored_rate, bare['rate'])} of bare), "
                  f"{result['requests']} requests in {result['elapsed']:.1f} s "
                  f"({result['requests'] / result['elapsed']:.0f} req/s)")
    common.figure("outbox replay: latency per request",
                  f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
                  f"p99 {result['p99'] * 1000:.0f} ms")
    common.figure("outbox replay: disorder",
                  f"lost answers resent {result['lost']}, entries replayed {result['replayed']}, "
                  f"answered as replays {result['replay_answers']}, retried (409/5xx/broken) "
                  f"{result['retries']}, gave up {result['gave_up']}; statuses {result['statuses']}")
    ok = events == keys == args.submissions and result["gave_up"] == 0
    common.figure("stored once", f"{events} status events, {keys} keys for "
                  f"{args.submissions} submissions: {'OK' if ok else 'MISMATCH'}")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        common.drop_postgres(bare_url)
        common.drop_postgres(posko_url)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
