"""Reminders and the daily digest: ``posko send_reminders [--now ISO] [--digest]``.

For every open task (status other than *selesai*) of the active election, each
recipient — the task's active assignees or, when it has none, the active operators of
the task's agency — is notified:

* ``DUE_SOON`` once per task and user, when the task is due within the next 24 hours
  (key ``due_soon:<task>:<user>``);
* ``OVERDUE`` once per task and user, when the task has passed its due time
  (key ``overdue:<task>:<user>``) — the daily digest keeps listing it afterwards, so a
  lurah with 30 late tasks gets one digest a day, not 30 e-mails;
* with ``--digest``, one ``DIGEST`` per user per local day summarising their open,
  due-soon and overdue tasks (key ``digest:<user>:<YYYY-MM-DD>``), only for users with
  at least one open task.

E-mail goes to every recipient with an address, after the transaction commits
(``EMAIL_*`` settings; the console backend by default).

**One mechanism.** :func:`notify_many` is the bulk form of
:func:`posko.coordination.notify.notify` with the same rules: nobody notified who is
missing or inactive; a notification whose key exists is not created again (the key is
stored unique, so a concurrent run cannot create it twice either: its rows are then
skipped); title cut to 250
characters, key to 120; e-mail after commit, only to users with an address, each
notification e-mailed at most once (``emailed_at``). The e-mail is the one
``notify.send_email`` sends (subject ``[Posko] <title>``, the text, then the link);
``tests/test_coordination_notifications.py`` checks that both paths give the same row
and the same message.

**Cost at 50,000 tasks.** Tasks are read as plain values with ``.iterator()``, 2,000 at
a time, and the assignees of each chunk in one query (a prefetch without model
instances, which at this size cost more than the queries); the active users, and so the
agency operators, are loaded once; the keys that already exist for this run (due-soon
keys of the candidate tasks, today's overdue and digest keys) are loaded once up front,
so deciding "already sent?" costs no query per notification, and no text is built for a
reminder already sent. New rows go through ``posko.core.bulk.insert_rows`` (COPY on
PostgreSQL; ``bulk_create`` skipping conflicts if a concurrent run got there first);
e-mails are claimed and sent in chunks over one mail connection. See ``bench/coordination.py``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from posko.accounts.models import Role, User
from posko.coordination.models import Notification, Task
from posko.core import clock
from posko.core import election as request_election
from posko.core.bulk import insert_rows

DUE_SOON_HOURS = 24
TASK_CHUNK = 2000  # tasks fetched, with one query for their assignees, per round
WRITE_CHUNK = 5000  # notifications written per flush
KEY_CHUNK = 500  # keys per ``IN (...)``; below SQLite's parameter limit
DIGEST_SAMPLES = 5  # tasks named per section of a digest
USER_FIELDS = ("id", "username", "email", "is_active", "role", "agency")
Kind = Notification.Kind
NOTIFICATION_COLUMNS = ("user_id", "kind", "title", "body", "url", "task_id", "key", "created_at")


# --- the bulk form of notify.notify -------------------------------------------------------

@dataclass
class Outgoing:
    """One notification to create (the arguments of ``notify.notify``)."""

    user: User | None
    kind: str
    title: str
    key: str
    url: str = ""
    body: str = ""
    task_id: int | None = None
    email: bool = True


def existing_keys(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` are already stored (one query per 500 keys)."""
    keys = list(keys)
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        found.update(Notification.objects.filter(key__in=keys[start:start + KEY_CHUNK])
                     .values_list("key", flat=True))
    return found


def notify_many(items: Iterable[Outgoing], *, known_keys: set[str] | None = None) -> list[Outgoing]:
    """Create many notifications at once, with the rules of ``notify.notify``.

    ``known_keys``: keys already stored, when the caller loaded them (they are then not
    looked up again); the set is updated with the keys written here. Returns the items
    written. Call it inside a transaction: the e-mails leave after it commits."""
    fresh: dict[str, Outgoing] = {}
    for item in items:
        if item.user is None or not item.user.is_active:
            continue
        item.key = item.key[:120]
        fresh.setdefault(item.key, item)
    if known_keys is None:
        known_keys = existing_keys(fresh)
    new = [item for key, item in fresh.items() if key not in known_keys]
    if not new:
        return []
    now = clock.now()
    rows = [(item.user.pk, item.kind, item.title[:250], item.body, item.url, item.task_id,
             item.key, now) for item in new]
    try:
        with transaction.atomic():  # the fast path (COPY on PostgreSQL)
            insert_rows(Notification, NOTIFICATION_COLUMNS, rows)
    except (IntegrityError, connection.Database.IntegrityError):  # COPY raises the driver's
        # Another run wrote some of these keys meanwhile: skip those, never duplicate them.
        Notification.objects.bulk_create(
            [Notification(**dict(zip(NOTIFICATION_COLUMNS, row, strict=True))) for row in rows],
            batch_size=1000, ignore_conflicts=True)
    known_keys.update(item.key for item in new)
    to_mail = [item.key for item in new if item.email and item.user.email]
    if to_mail:
        transaction.on_commit(partial(send_emails, to_mail))
    return new


def email_message(title: str, body: str, url: str, address: str) -> mail.EmailMessage:
    """The e-mail of a notification, as ``notify.send_email`` writes it."""
    link = f"{settings.POSKO_BASE_URL.rstrip('/')}{url}" if url else ""
    subject = " ".join(f"[Posko] {title}".split())  # a line break would be refused
    return mail.EmailMessage(subject, "\n\n".join(p for p in (body, link) if p),
                             settings.DEFAULT_FROM_EMAIL, [address])


def send_emails(keys: list[str]) -> int:
    """E-mail the notifications with these keys that were not e-mailed yet; returns how
    many left. Rows are claimed (``emailed_at`` set) before sending, so two runs never
    send the same one; like ``notify.send_email``, a failed send is not retried."""
    sent = 0
    with mail.get_connection(fail_silently=True) as connection:
        for start in range(0, len(keys), KEY_CHUNK):
            chunk = keys[start:start + KEY_CHUNK]
            stamp = clock.now()
            claimed = Notification.objects.filter(key__in=chunk, emailed_at__isnull=True).update(
                emailed_at=stamp)
            if not claimed:
                continue
            rows = Notification.objects.filter(key__in=chunk, emailed_at=stamp).values_list(
                "title", "body", "url", "user__email")
            messages = [email_message(*row) for row in rows if row[3]]
            sent += connection.send_messages(messages) or 0
    return sent


# --- reminders and digests ------------------------------------------------------------------

@dataclass
class ReminderResult:
    now: datetime.datetime
    election: str = ""
    tasks: int = 0  # open tasks looked at
    due_soon: int = 0  # notifications created
    overdue: int = 0
    digests: int = 0
    already_sent: int = 0  # reminders skipped because their key exists
    emails: int = 0  # notifications queued for e-mail (sent after commit)


@dataclass
class _Digest:
    user: User
    open: int = 0
    overdue: list[tuple[str, datetime.datetime]] = field(default_factory=list)  # (title, due)
    overdue_count: int = 0
    due_soon: list[tuple[str, datetime.datetime]] = field(default_factory=list)
    due_soon_count: int = 0


@dataclass
class _Row:
    """What a reminder needs of a task: plain values, no model instance."""

    pk: int
    title: str
    due_at: datetime.datetime
    agency_id: int
    tps_number: int | None
    kelurahan: str | None
    kecamatan: str | None

    @property
    def place(self) -> str:
        if self.tps_number is not None:
            return f"TPS {self.tps_number:03d} {self.kelurahan or ''}".strip()
        if self.kelurahan:
            return self.kelurahan
        if self.kecamatan:
            return f"Kec. {self.kecamatan}"
        return ""


TASK_VALUES = ("pk", "title", "due_at", "agency_id", "tps__number", "kelurahan__name",
               "kecamatan__name")


def _task_url_builder():
    """``task -> url`` without one ``reverse()`` per task (the same result)."""
    sentinel = 987654321
    try:
        sample = reverse("coordination:task_detail", args=[sentinel])
    except NoReverseMatch:  # no task pages installed: notifications without a link
        return lambda pk: ""
    head, tail = sample.split(str(sentinel), 1)
    return lambda pk: f"{head}{pk}{tail}"


def _optional_url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M")


def existing_reminder_keys(reminder_tasks, day: str, *, digest: bool) -> set[str]:
    """The keys this run could create that already exist: every due-soon and overdue key
    of the candidate tasks (one query), today's digests (one more)."""
    keys = set(Notification.objects.filter(task__in=reminder_tasks.values("pk")).filter(
        kind__in=[Kind.DUE_SOON, Kind.OVERDUE]).values_list("key", flat=True))
    if digest:
        keys.update(Notification.objects.filter(kind=Kind.DIGEST, key__endswith=f":{day}")
                    .values_list("key", flat=True))
    return keys


def reminders_job(ctx) -> str:
    """The hourly periodic job (``posko worker``): the same as ``posko send_reminders``."""
    result = send_reminders(request_election.active())
    if not result.election:
        return _("No active election: no reminders sent.")
    return _("%(due)s due-soon and %(overdue)s overdue reminders sent, %(emails)s e-mails.") % {
        "due": result.due_soon, "overdue": result.overdue, "emails": result.emails}


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def send_reminders(election, now: datetime.datetime | None = None, *,
                   digest: bool = False) -> ReminderResult:
    """Notify about due-soon and overdue open tasks of ``election`` (and send the daily
    digest with ``digest=True``). Running it again sends nothing twice.

    Queries: a handful up front (election, existing keys, active users), then per 2,000
    tasks one fetch of the task rows and one of their assignees, plus the inserts
    (``bulk_create``) and the e-mail chunks. Tasks are read as plain values, not model
    instances: at 50,000 tasks that is most of the time saved."""
    now = now or clock.now()
    result = ReminderResult(now=now)
    if election is None:
        return result
    result.election = election.name
    day = timezone.localdate(now).isoformat()
    horizon = now + datetime.timedelta(hours=DUE_SOON_HOURS)
    open_tasks = Task.objects.filter(election=election).exclude(status=Task.Status.SELESAI)
    reminder_tasks = open_tasks.filter(due_at__lt=horizon)
    known = existing_reminder_keys(reminder_tasks, day, digest=digest)

    # Every active user once (a Pemda has hundreds, not thousands): an assignee who is not
    # here is inactive and is skipped; a task without active assignees goes to its
    # agency's operators.
    users = {user.pk: user for user in User.objects.filter(is_active=True).only(*USER_FIELDS)}
    operators: dict[int, list[User]] = defaultdict(list)
    for user in users.values():
        if user.role == Role.AGENCY and user.agency_id:
            operators[user.agency_id].append(user)
    rows = ((open_tasks if digest else reminder_tasks).order_by("due_at", "pk")
            .values_list(*TASK_VALUES).iterator(chunk_size=TASK_CHUNK))
    through = Task.assignees.through.objects
    task_url = _task_url_builder()
    digests: dict[int, _Digest] = {}
    pending: list[Outgoing] = []

    def flush():
        for item in notify_many(pending, known_keys=known):
            if item.kind == Kind.DUE_SOON:
                result.due_soon += 1
            else:
                result.overdue += 1
            result.emails += bool(item.email and item.user.email)
        pending.clear()

    with transaction.atomic():
        for chunk in _chunks(rows, TASK_CHUNK):
            assigned: dict[int, list[User]] = defaultdict(list)
            for task_id, user_id in through.filter(task_id__in=[r[0] for r in chunk]).values_list(
                    "task_id", "user_id"):
                if user_id in users:
                    assigned[task_id].append(users[user_id])
            for values in chunk:
                task = _Row(*values)
                result.tasks += 1
                recipients = assigned.get(task.pk) or operators.get(task.agency_id, [])
                if not recipients:
                    continue
                overdue = task.due_at < now
                due_soon = not overdue and task.due_at < horizon
                if overdue or due_soon:
                    _remind(task, recipients, overdue, day, known, pending, result, task_url)
                if digest:
                    for user in recipients:
                        entry = digests.get(user.pk) or digests.setdefault(user.pk, _Digest(user))
                        entry.open += 1
                        if overdue:
                            entry.overdue_count += 1
                            if len(entry.overdue) < DIGEST_SAMPLES:
                                entry.overdue.append((task.title, task.due_at))
                        elif due_soon:
                            entry.due_soon_count += 1
                            if len(entry.due_soon) < DIGEST_SAMPLES:
                                entry.due_soon.append((task.title, task.due_at))
            if len(pending) >= WRITE_CHUNK:
                flush()
        flush()
        if digest:
            url = _optional_url("coordination:task_list")
            items = []
            for entry in digests.values():
                title, body = _digest_text(entry, now)
                items.append(Outgoing(entry.user, Kind.DIGEST, title, f"digest:{entry.user.pk}:{day}",
                                      url=url, body=body))
            for item in notify_many(items, known_keys=known):
                result.digests += 1
                result.emails += bool(item.user.email)
    return result


def _remind(task: _Row, recipients, overdue: bool, day: str, known: set[str],
            pending: list[Outgoing], result: ReminderResult, task_url) -> None:
    keys = [(user, f"overdue:{task.pk}:{user.pk}" if overdue
             else f"due_soon:{task.pk}:{user.pk}") for user in recipients]
    new = [(user, key) for user, key in keys if key not in known]
    result.already_sent += len(keys) - len(new)
    if not new:
        return  # nothing to say: no text to build
    if overdue:
        title = _("Overdue: %(title)s") % {"title": task.title}
        body = _("Was due %(due)s. %(place)s") % {"due": _when(task.due_at), "place": task.place}
    else:
        title = _("Due within 24 hours: %(title)s") % {"title": task.title}
        body = _("Due %(due)s. %(place)s") % {"due": _when(task.due_at), "place": task.place}
    kind = Kind.OVERDUE if overdue else Kind.DUE_SOON
    url = task_url(task.pk)
    pending.extend(Outgoing(user, kind, title, key, url=url, body=body, task_id=task.pk)
                   for user, key in new)


def _digest_text(entry: _Digest, now) -> tuple[str, str]:
    date = timezone.localdate(now).strftime("%d-%m-%Y")
    title = ngettext("Daily digest %(date)s: %(open)s open task",
                     "Daily digest %(date)s: %(open)s open tasks", entry.open) % {
        "date": date, "open": entry.open}
    lines = [_("Open tasks: %(n)s") % {"n": entry.open},
             _("Overdue: %(n)s") % {"n": entry.overdue_count},
             _("Due within 24 hours: %(n)s") % {"n": entry.due_soon_count}]
    for heading, sample, count in ((_("Overdue"), entry.overdue, entry.overdue_count),
                                   (_("Due within 24 hours"), entry.due_soon, entry.due_soon_count)):
        if not sample:
            continue
        lines += ["", f"{heading}:"]
        lines += [f"- {title} ({_when(due)})" for title, due in sample]
        if count > len(sample):
            lines.append(_("- and %(n)s more") % {"n": count - len(sample)})
    return title, "\n".join(lines)
