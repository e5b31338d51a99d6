"""Retention of an election's personal data (issue 16, UU PDP 27/2022 Pasal 43–44: personal
data is deleted or anonymised once its purpose is over).

Every election has a date after which the personal data the modules hold about it is
anonymised (``Retention.retain_until``; by default ``DEFAULT_MONTHS`` after voting day, the
admin may change it). What each module anonymises is its own entry in
``posko.core.retention``; this file runs them.

**The rule.** Nothing is purged without a Desk admin: the admin opens the election's
retention page, which shows the dry-run (rows per source that would be anonymised, nothing
changed), and approves it. If the date has passed the purge job is queued at once; otherwise
the daily job ``elections.retention_due`` queues it on the date. Changing the date
withdraws the approval (the admin approves again). ``posko purge_personal_data`` does the
same from the server's shell, without the approval (whoever runs it is the server's
operator), and ``--dry-run`` only prints the report.

The purge anonymises in batches, one transaction per module together with that module's
audit row (one row per module with its counts, never one per person), scrubs the audit log's
own copies of the personal fields of those rows (``core.retention.scrub_audit``: the keys
are dropped from before/after, the object's name becomes the anonymised one), and records
when the election was purged. Run again, it finds nothing left and writes nothing
(idempotent).
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock, jobs, retention, services
from posko.elections.models import Retention

DEFAULT_MONTHS = 12
PURGE_JOB = "elections.retention_purge"
DUE_JOB = "elections.retention_due"


def default_date(voting_date: datetime.date, months: int = DEFAULT_MONTHS) -> datetime.date:
    month = voting_date.month - 1 + months
    year, month = voting_date.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(voting_date.day, calendar.monthrange(year, month)[1]))


def for_election(election) -> Retention:
    """The election's retention row, created with the default date on first use."""
    row = Retention.objects.filter(election_id=election.pk).first()
    if row is None:
        row, _created = Retention.objects.get_or_create(
            election_id=election.pk, defaults={"retain_until": default_date(election.voting_date)})
    row.election = election
    return row


def is_due(row: Retention, today=None) -> bool:
    return row.retain_until <= (today or clock.today())


def report(election_id: int) -> list[dict]:
    """The dry-run: one entry per source (key, label, fields, rows); nothing is changed."""
    return [{"key": source.key, "label": source.label, "fields": source.fields, "rows": rows,
             "unit": source.unit} for source, rows in retention.dry_run(election_id)]


def totals(report_rows: list[dict]) -> dict[str, int]:
    """The dry-run summed per unit: rows anonymised, files deleted, text fields replaced."""
    out = dict.fromkeys(retention.UNITS, 0)
    for entry in report_rows:
        out[entry["unit"]] += entry["rows"]
    return out


def date_problems(row: Retention, new_date) -> list[tuple[str, str]]:
    if new_date is None:
        return [("retain_until", _("Enter a date."))]
    if new_date <= row.election.voting_date:
        return [("retain_until", _("The date must be after voting day (%(day)s).") % {
            "day": row.election.voting_date.strftime("%d-%m-%Y")})]
    return []


@transaction.atomic
def set_date(row: Retention, new_date, *, actor, expected_version: int | None = None) -> Retention:
    """Change the retention date; an approval given for the old date is withdrawn."""
    services.raise_problems(date_problems(row, new_date))
    before = audit.snapshot(Retention.objects.get(pk=row.pk))
    row.retain_until = new_date
    message = ""
    if row.approved_at is not None and row.purged_at is None:
        row.approved_at, row.approved_by, row.approved_counts = None, None, {}
        message = "Retention date changed: the purge approval is withdrawn."
    return services.update(row, actor=actor, before=before, message=message,
                           expected_version=expected_version)


@transaction.atomic
def approve(row: Retention, *, actor, expected_version: int | None = None):
    """The admin approves the purge after seeing the dry-run. Returns the queued job if the
    date has passed (else the daily job queues it on the date)."""
    before = audit.snapshot(Retention.objects.get(pk=row.pk))
    counts = {entry["key"]: entry["rows"] for entry in report(row.election_id)}
    row.approved_at, row.approved_by, row.approved_counts = clock.now(), actor, counts
    services.update(row, actor=actor, before=before, expected_version=expected_version,
                    message="Purge of personal data approved after the dry-run: " + _summary(counts))
    return enqueue(row, user=actor) if is_due(row) else None


def enqueue(row: Retention, *, user=None):
    return jobs.enqueue(PURGE_JOB, label=_("Purge personal data: %(election)s") % {
        "election": row.election}, user=user, params={"election": row.election_id})


def _summary(counts: dict) -> str:
    return ", ".join(f"{key} {rows}" for key, rows in counts.items()) or "-"


def purge(election_id: int, *, actor=None, batch: int = retention.BATCH, progress=None) -> dict:
    """Anonymise every source's rows of the election; rows done per source. Audited per
    module in that module's transaction; the retention row records the purge."""
    row = Retention.objects.select_related("election").get(election_id=election_id)
    by_module = defaultdict(list)
    for source in retention.sources():
        by_module[source.key.split(".")[0]].append(source)
    done: dict[str, int] = {}
    for module, sources in by_module.items():
        with transaction.atomic():
            counts = {source.key: retention.purge_source(source, election_id, batch=batch,
                                                         progress=progress)
                      for source in sources}
            scrubbed = sum(retention.scrub_audit(source, election_id, batch=batch)
                           for source in sources)
            done.update(counts)
            if any(counts.values()) or scrubbed:
                audit.record("update", row, actor=actor, object_repr=f"{row.election}: {module}"[:200],
                             message=f"Personal data anonymised ({module}): {_summary(counts)}; "
                                     f"audit rows scrubbed: {scrubbed}")
    with transaction.atomic():
        row = Retention.objects.select_for_update().get(pk=row.pk)
        if row.purged_at is None or any(done.values()):
            total = dict(row.purged_counts)
            for key, rows in done.items():
                total[key] = total.get(key, 0) + rows
            Retention.objects.filter(pk=row.pk).update(purged_at=clock.now(), purged_counts=total)
    return done


def purge_job(ctx, election: int) -> str:
    """The purge as a background job; only for an approved, due election."""
    row = Retention.objects.select_related("election").filter(election_id=election).first()
    if row is None or row.approved_at is None:
        raise jobs.JobError(_("The purge was not approved on the election's retention page."))
    if not is_due(row):
        raise jobs.JobError(_("The retention date (%(date)s) has not been reached yet.") % {
            "date": row.retain_until.strftime("%d-%m-%Y")})

    def progress(source, rows):
        ctx.progress(str(source.label), **{source.key: rows})

    done = purge(election, actor=row.approved_by, progress=progress)
    ctx.job.result = done
    return _("%(count)s rows anonymised.") % {"count": sum(done.values())}


def due_job(ctx) -> str:
    """Daily: queue the purge of every approved election whose date has passed."""
    rows = Retention.objects.select_related("election").filter(
        approved_at__isnull=False, purged_at__isnull=True, retain_until__lte=clock.today())
    queued = [enqueue(row, user=row.approved_by) for row in rows]
    return _("%(count)s purges queued.") % {"count": len(queued)}
