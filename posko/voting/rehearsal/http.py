"""Sending a rehearsal's plan through the real field API with bounded concurrency."""

from __future__ import annotations

import heapq
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from posko.voting.rehearsal.plan import Device, Options, Stats, Submission


def percentile(values, pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Client:
    """One keep-alive HTTP connection per thread."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        self.cls = http.client.HTTPSConnection if parts.scheme == "https" else \
            http.client.HTTPConnection
        self.prefix = parts.path.rstrip("/")
        self.conn = None

    def post(self, path, token, key, body) -> tuple[int, dict, bool]:
        if self.conn is None:
            self.conn = self.cls(self.host, self.port, timeout=60)
        try:
            self.conn.request("POST", self.prefix + path, body=json.dumps(body), headers={
                "Authorization": f"Token {token}", "Content-Type": "application/json",
                "Idempotency-Key": key, "Accept-Language": "en"})
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = None
            raise
        replayed = response.getheader("Idempotent-Replayed") == "true"
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {"detail": raw[:300].decode(errors="replace")}
        return response.status, data, replayed


#: 201: stored; 202: taken into the C.Hasil inbox (``POSKO_FANOUT=job``), stored by a job.
ACKNOWLEDGED = (201, 202)


def _send(client: Client, device: Device, sub: Submission, stats: Stats) -> None:
    """Send until acknowledged (201, or 202 from the C.Hasil inbox), retrying with the same key: after a lost answer, a
    409 (the twin is still being written) or a network error."""
    path = f"/api/v1/voting/tps/{sub.tps}/{'report' if sub.kind == 'report' else 'results'}/"
    attempts, lost, acknowledged = 0, sub.lost_answer, False
    if sub.double:  # a double tap: the same key twice at once, from another connection
        twin = threading.Thread(target=_twin, args=(client, device, sub, path, stats))
        twin.start()
    while attempts < 20:
        attempts += 1
        start = time.perf_counter()
        try:
            status, data, replayed = client.post(path, device.token, sub.key, sub.body)
        except (http.client.HTTPException, OSError):
            with stats.lock:
                stats.network_errors += 1
            time.sleep(0.2 * attempts)
            continue
        took = time.perf_counter() - start
        with stats.lock:
            stats.requests += 1
            stats.latencies.append(took)
            stats.replays += replayed
            if status in ACKNOWLEDGED and not replayed and not acknowledged:
                stats.acknowledged += 1
                acknowledged = True
            if status == 409:
                stats.conflicts += 1
        if status == 409:
            time.sleep(0.1 * attempts)
            continue
        if status not in ACKNOWLEDGED:
            with stats.lock:
                stats.refused.append((sub.label, sub.tps, status, data))
            break
        if lost:  # the answer never reached the phone: it sends the same again
            lost = False
            continue
        break
    if sub.double:
        twin.join()


def _twin(client, device, sub, path, stats) -> None:
    other = Client.__new__(Client)
    other.__dict__.update({**client.__dict__, "conn": None})
    try:
        status, _data, replayed = other.post(path, device.token, sub.key, sub.body)
    except (http.client.HTTPException, OSError):
        return
    with stats.lock:
        stats.requests += 1
        stats.replays += replayed
        stats.conflicts += status == 409
        if status in ACKNOWLEDGED and not replayed:
            stats.acknowledged += 1  # the twin won; the device's own send is then a replay
    if other.conn is not None:
        other.conn.close()


def run(url: str, devices: list[Device], options: Options, *, progress=None) -> Stats:
    """Replay the plan against ``url``; returns what was sent and answered."""
    stats = Stats()
    heap = [(d.due(), i) for i, d in enumerate(devices) if d.due() is not None]
    heapq.heapify(heap)
    start_sim = min((at for at, _i in heap), default=0.0)
    lock, wake = threading.Lock(), threading.Condition()
    busy = [0]
    started = time.monotonic()

    def real(at: float) -> float:
        return 0.0 if not options.speed else (at - start_sim) * 60 / options.speed

    def worker():
        client = Client(url)
        while True:
            with wake:
                while True:
                    if not heap:
                        if busy[0] == 0:
                            wake.notify_all()
                            return
                        wake.wait(0.5)
                        continue
                    wait = started + real(heap[0][0]) - time.monotonic()
                    if wait > 0:
                        wake.wait(min(wait, 0.5))
                        continue
                    at, index = heapq.heappop(heap)
                    busy[0] += 1
                    break
            device = devices[index]
            sub = device.queue[device.index]
            behind = time.monotonic() - started - real(at)
            with lock:
                stats.sent[sub.label] += 1
                stats.lag = max(stats.lag, behind)
            _send(client, device, sub, stats)
            device.index += 1
            with wake:
                busy[0] -= 1
                if device.due() is not None:
                    heapq.heappush(heap, (max(device.due(), at), index))
                wake.notify_all()
            if progress is not None:
                progress(stats, at)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(options.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats.elapsed = time.monotonic() - started
    return stats


# --- the check ------------------------------------------------------------------------------
