"""Fan-out after a write, off the request: "these TPS changed, recompute what follows".

A write touches a TPS (its DPT, a shortfall case, a KPPS's domicile, a report near it) and
other modules recompute what follows from it: logistics requirements and readiness, derived
vulnerability indicators. That work is not the answer to the request, so it leaves it::

    fanout.register("elections.tps_changed", handler)   # in AppConfig.ready()
    fanout.send("elections.tps_changed", election, tps_ids)  # after a write

``send`` collects what one transaction announces (the same name, key and election once,
with the union of their TPS) and, when the transaction commits, queues one background job
per collected entry; the job calls ``handler(election, tps_ids, key)``. A rolled-back write
announces nothing. ``tps_ids`` None means every TPS of the election.

``POSKO_FANOUT`` = ``inline`` runs the handler at once inside the writing transaction (the
behaviour before jobs; the default when ``POSKO_JOBS`` is ``immediate``, i.e. tests), ``job``
queues it (the default otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext as _

from posko.core import election as request_election
from posko.core import jobs

Handler = Callable[[object, "list[int] | None", str], None]
_handlers: dict[str, Handler] = {}
JOB_KEY = "core.fanout"


def register(name: str, handler: Handler) -> None:
    _handlers[name] = handler


def inline() -> bool:
    return getattr(settings, "POSKO_FANOUT", "inline") == "inline"


def send(name: str, election, tps_ids: Iterable[int] | None = None, *, key: str = "") -> None:
    """Announce that ``tps_ids`` of ``election`` changed for ``name`` (and its ``key``)."""
    handler = _handlers.get(name)
    if handler is None or election is None or getattr(election, "pk", None) is None:
        return
    ids = None if tps_ids is None else sorted(set(tps_ids))
    if ids == []:
        return
    if inline():
        handler(election, ids, key)
        return
    if not connection.in_atomic_block:  # autocommit: the write is already committed
        _enqueue(name, key, election.pk, ids)
        return
    pending = _pending()
    entry = (name, key, election.pk)
    if entry in pending and (pending[entry] is None or ids is None):
        pending[entry] = None
    else:
        pending[entry] = sorted(set(pending.get(entry) or []) | set(ids or []))


def _enqueue(name: str, key: str, election_id: int, ids: list[int] | None) -> None:
    count = _("every TPS") if ids is None else _("%(count)s TPS") % {"count": len(ids)}
    label = " ".join(part for part in (name, key, f"({count})") if part)
    jobs.enqueue(JOB_KEY, label=label, params={
        "name": name, "key": key, "election": election_id, "tps_ids": ids})


def _pending() -> dict:
    """This transaction's collected announcements, queued when it commits. A rolled-back
    transaction drops its on-commit callback, so a buffer without one is stale: reset."""
    state = getattr(connection, "_posko_fanout", None)
    if state is not None and any(callback[1] is state["flush"]
                                 for callback in connection.run_on_commit):
        return state["pending"]
    pending: dict = {}

    def flush():
        connection._posko_fanout = None
        for (name, key, election_id), ids in sorted(pending.items(), key=lambda kv: kv[0]):
            _enqueue(name, key, election_id, ids)

    connection._posko_fanout = {"pending": pending, "flush": flush}
    transaction.on_commit(flush)
    return pending


def run(ctx: jobs.JobContext, *, name: str, key: str, election, tps_ids) -> str:
    """The job: call the handler in a transaction of its own."""
    handler = _handlers.get(name)
    found = request_election.by_pk(election)
    if handler is None or found is None:
        return _("Nothing to do.")
    try:
        with transaction.atomic():
            handler(found, tps_ids, key)
    except OperationalError as exc:  # a lock or a lost connection: passing, try again
        raise jobs.RetryLater(str(exc)) from exc
    return _("Recomputed.")
