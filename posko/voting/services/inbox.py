"""The C.Hasil inbox (``POSKO_FANOUT=job``): the field API records what a phone sent and
answers 202 at once; a background job checks, flags, rolls up and reconciles it.

Why: on election night the answer must come fast and never be lost. The request does the
checks that need no lock (the contest is voted at this TPS, every pair and only its
pairs, not before the TPS opened, a reason for a correction) and writes one row — in the
same statement as its Idempotency-Key's answer (:func:`core.submit_once.submit_once`), so a
server killed after the 202 has it. :func:`process_pending` then turns each row into a
C.Hasil version through :func:`submit_result`, the very code a page's form uses, in
batches (one transaction, one savepoint per row). A row that can no longer be accepted
(another entry won a race for the first version) keeps the reason in ``refusals`` and shows
on the TPS's voting page. The sender's right to report was checked when the row was
received: an account closed a moment after its 202 does not lose what it sent.

The job is queued after a submission (at most once a second per process, and only when
none is waiting), keeps going while rows arrive and looks once more ``GRACE_SECONDS``
after the last, so a submission whose queuing was skipped is still taken; a periodic job
every minute catches anything left (a server killed between the write and the queuing).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from posko.core import clock, idempotency, jobs
from posko.core.bulk import update_rows
from posko.core.models import Job
from posko.core.services import raise_problems
from posko.voting.access import may_report
from posko.voting.models import ResultSubmission, Source, TpsResult
from posko.voting.rules import result_refusals
from posko.voting.services import batch
from posko.voting.services.results import FIELDS, OPTIONAL, ballot_numbers, submit_result
from posko.voting.services.status import settings_for

logger = logging.getLogger(__name__)

JOB = "voting.results_inbox"
EVERY = timedelta(minutes=1)
BATCH = 200
#: How long the job looks again for late rows before it ends (longer than DEBOUNCE_SECONDS).
GRACE_SECONDS = 1.5
DEBOUNCE_SECONDS = 1.0
PURGE_JOB = "voting.results_inbox_purge"
#: How long a row processed into a C.Hasil version is kept (the version and its audit entry
#: hold what was sent); a refused row is kept for good: it is the record of the refusal.
KEEP = timedelta(days=30)
_last_trigger = [float("-inf")]


def _latest(tps, contest, source: str):
    """The entry a new one would replace: the current version, or one still waiting in the
    inbox (a correction sent before the first was processed needs its reason too); None."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT version, entered_by_id, 0 FROM {TpsResult._meta.db_table} WHERE tps_id = %s "
            f"AND contest_id = %s AND source = %s AND is_current UNION ALL "
            f"SELECT NULL, entered_by_id, id FROM {ResultSubmission._meta.db_table} "
            f"WHERE tps_id = %s AND contest_id = %s AND source = %s AND processed_at IS NULL",
            [tps.pk, contest.pk, source] * 2)
        rows = cursor.fetchall()
    if not rows:
        return None
    version = max((v for v, _who, _id in rows if v is not None), default=0)
    waiting = sum(1 for v, _who, _id in rows if v is None)
    _v, who, _id = max(rows, key=lambda row: row[2])  # the newest waiting row, else current
    return SimpleNamespace(version=version + waiting,
                           entered_by=get_user_model().objects.filter(pk=who).first())


def receive(tps, contest, *, actor, election, values: dict, votes: dict,
            source: str = Source.PEMDA, reason: str = "", now=None) -> ResultSubmission:
    """The inbox row for one C.Hasil (unsaved: the caller writes it with its key's answer),
    after the checks that need no lock; raises ValidationError (400) or PermissionDenied."""
    if not may_report(actor, tps):
        raise PermissionDenied
    now = now or clock.now()
    votes = {int(number): int(count) for number, count in votes.items()}
    # Only a submission without a reason needs to know whether it corrects an entry.
    latest = _latest(tps, contest, source) if not (reason or "").strip() else None
    raise_problems(result_refusals(
        contest=contest, election=election, tps=tps, ballot_numbers=ballot_numbers(contest),
        votes=votes, reason=reason or "", current=latest, entered_at=now,
        conf=settings_for(election)))
    numbers = {field: None if field in OPTIONAL and values.get(field) is None
               else int(values.get(field) or 0) for field in FIELDS}
    return ResultSubmission.for_tps(
        tps, contest=contest, source=source, values=numbers,
        votes={str(k): v for k, v in sorted(votes.items())}, reason=(reason or "").strip(),
        entered_by=actor, received_at=now)


def process_pending(limit: int = BATCH) -> tuple[int, int]:
    """Process up to ``limit`` waiting rows, oldest first, in one transaction (rows another
    job holds are skipped); returns (processed, refused). PostgreSQL: as one batch
    (``services.batch``); should the batch fail in the database (a deadlock with another
    worker), and elsewhere, row by row, each in a savepoint."""
    with transaction.atomic():
        rows = list(ResultSubmission.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(processed_at__isnull=True)
                    .select_related("tps__day", "contest", "election", "entered_by")
                    .order_by("id")[:limit])
        for row in rows:
            day = row.tps._state.fields_cache.get("day")  # read with it: no query per row
            row.tps.voting_closed_at = day.closed_at if day is not None else None
        if not (connection.vendor == "postgresql" and _as_batch(rows)):
            _row_by_row(rows)
        now = clock.now()
        for row in rows:
            row.processed_at = now
        _mark_processed(rows)
    return len(rows), sum(bool(row.refusals) for row in rows)


def _as_batch(rows) -> bool:
    if not rows:  # the job looking again at an empty inbox
        return True
    try:
        with transaction.atomic():
            batch.submit_many(rows)
        return True
    except DatabaseError:
        logger.warning("C.Hasil inbox: batch of %s rolled back, going row by row", len(rows),
                       exc_info=True)
        for row in rows:
            row.result, row.refusals = None, []
        return False


def _row_by_row(rows) -> None:
    for row in rows:
        try:  # a savepoint per row; its writes nobody reads again go as one statement
            with transaction.atomic(), idempotency.writes_together():
                row.result = submit_result(
                    row.tps, row.contest, actor=row.entered_by, election=row.election,
                    values=row.values, votes=row.votes, source=row.source,
                    reason=row.reason, now=row.received_at, allowed=True)
        except ValidationError as error:
            row.refusals = batch.refusals(error)


def _mark_processed(rows) -> None:
    """Save each row's result, refusals and processed_at (one UPDATE on PostgreSQL)."""
    if connection.vendor != "postgresql":
        ResultSubmission.objects.bulk_update(rows, ["result", "refusals", "processed_at"])
        return
    update_rows(ResultSubmission, ["result_id", "refusals", "processed_at"],
                [(row.pk, row.result_id, row.refusals, row.processed_at) for row in rows])


def pending() -> bool:
    return ResultSubmission.objects.filter(processed_at__isnull=True).exists()


def inbox_job(ctx) -> str:
    """The job: process the inbox until it stays empty for ``GRACE_SECONDS``."""
    done = refused = 0
    looked_again = False
    while True:
        count, bad = process_pending()
        done, refused = done + count, refused + bad
        if count:
            looked_again = False
            ctx.progress(_("C.Hasil submissions"), done=done)
            continue
        if looked_again or GRACE_SECONDS <= 0:
            break
        time.sleep(GRACE_SECONDS)
        looked_again = True
    return _("%(done)s C.Hasil submissions processed, %(refused)s refused.") % {
        "done": done, "refused": refused}


def purge(now=None) -> int:
    """Delete the rows processed into a C.Hasil version more than ``KEEP`` ago; returns how
    many (one DELETE)."""
    cutoff = (now or clock.now()) - KEEP
    deleted, _by_model = ResultSubmission.objects.filter(
        result__isnull=False, processed_at__lt=cutoff).delete()
    return deleted


def purge_job(ctx) -> str:
    count = purge()
    ctx.job.result = {"deleted": count}
    return _("%(count)s processed C.Hasil submissions deleted from the inbox.") % {
        "count": count}


def trigger() -> None:
    """Queue the job after this submission commits: at most once per ``DEBOUNCE_SECONDS``
    in this process, and not when one is already waiting to start."""
    now = time.monotonic()
    if now - _last_trigger[0] < DEBOUNCE_SECONDS:
        return
    _last_trigger[0] = now
    transaction.on_commit(_queue_unless_waiting)


def _queue_unless_waiting() -> None:
    if not Job.objects.filter(kind=JOB, status=Job.Status.QUEUED).exists():
        jobs.enqueue(JOB, label=str(_("C.Hasil submissions")))
