"""Notifications: the notification centre and the bell, ``posko send_reminders``
(due-soon, overdue, the daily digest; idempotent) and the bulk path's parity with
``notify.notify``."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from posko.accounts.models import Agency, Role, User
from posko.coordination import notify, reminders
from posko.coordination.bell import NotificationBell, notifications
from posko.coordination.models import Notification, Task
from posko.core import clock, schedule
from posko.core.models import Job
from posko.elections.models import Election
from tests.conftest import PERSONA_NAMES

SIGNED_IN = [name for name in PERSONA_NAMES if name != "anonymous"]
LIST = reverse("coordination:notifications")
READ_ALL = reverse("coordination:notifications_read_all")
Kind = Notification.Kind


def read_url(note) -> str:
    return reverse("coordination:notification_read", args=[note.pk])


def make_note(user, key, *, minutes_ago=0, url="", read=False, title=None):
    return Notification.objects.create(
        user=user, kind=Kind.ASSIGNED, title=title or f"Tugas {key}", key=key, url=url,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        read_at=timezone.now() if read else None)


# --- the notification centre ----------------------------------------------------------------


def test_centre_needs_login(world, users, client):
    note = make_note(users["admin"], "a1")
    for response in (client.get(LIST), client.post(read_url(note)), client.post(READ_ALL)):
        assert response.status_code == 302
        assert response["Location"].startswith("/masuk/")
    note.refresh_from_db()
    assert note.read_at is None


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_centre_lists_own_notifications_newest_first(world, users, personas, persona):
    for name, user in users.items():
        if user is not None:
            make_note(user, f"old:{name}", minutes_ago=60, title=f"Lama {name}", read=True)
            make_note(user, f"new:{name}", minutes_ago=1, title=f"Baru {name}")
    response = personas[persona].client.get(LIST)
    assert response.status_code == 200
    notes = list(response.context["object_list"])
    assert [n.key for n in notes] == [f"new:{persona}", f"old:{persona}"]
    body = response.content.decode()
    assert f"Baru {persona}" in body and f"Lama {persona}" in body
    others = [n for n in SIGNED_IN if n != persona]
    assert not any(f"Baru {other}<" in body or f"Lama {other}<" in body for other in others)
    # The unread one is highlighted, the read one is not.
    assert body.index('data-read="no"') < body.index(f"Baru {persona}") < body.index('data-read="yes"')


def test_centre_escapes_text(world, users, personas):
    make_note(users["admin"], "x", title="<script>alert(1)</script>")
    body = personas["admin"].client.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_mark_one_read_goes_to_its_link(world, users, personas):
    note = make_note(users["kelurahan_a"], "k1", url="/koordinasi/tugas/7/")
    other = make_note(users["kelurahan_a"], "k2")
    response = personas["kelurahan_a"].client.post(read_url(note))
    assert response.status_code == 302 and response["Location"] == "/koordinasi/tugas/7/"
    note.refresh_from_db()
    other.refresh_from_db()
    assert note.read_at is not None and other.read_at is None
    first_read = note.read_at
    personas["kelurahan_a"].client.post(read_url(note))  # again: stays as first read
    note.refresh_from_db()
    assert note.read_at == first_read


def test_mark_read_without_or_with_foreign_link_goes_to_centre(world, users, personas):
    client = personas["admin"].client
    for key, url in (("n1", ""), ("n2", "https://evil.example/x"), ("n3", "//evil.example/")):
        note = make_note(users["admin"], key, url=url)
        response = client.post(read_url(note))
        assert response.status_code == 302 and response["Location"] == LIST, url


@pytest.mark.parametrize("persona", [p for p in SIGNED_IN if p != "admin"])
def test_only_the_owner_may_mark_read(world, users, personas, persona):
    note = make_note(users["admin"], "admin-only", url="/koordinasi/")
    response = personas[persona].client.post(read_url(note))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    assert personas[persona].client.post(reverse(
        "coordination:notification_read", args=[99999])).status_code == 404


def test_read_needs_post(world, users, personas):
    note = make_note(users["admin"], "g")
    assert personas["admin"].client.get(read_url(note)).status_code == 405
    assert personas["admin"].client.get(READ_ALL).status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_read_touches_only_own(world, users, personas):
    mine = [make_note(users["kecamatan_a"], f"m{i}") for i in range(3)]
    theirs = make_note(users["kelurahan_a"], "t")
    personas["kecamatan_a"].client.cookies["django_language"] = "en"
    response = personas["kecamatan_a"].client.post(READ_ALL)
    assert response.status_code == 302 and response["Location"] == LIST
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    page = personas["kecamatan_a"].client.get(LIST)
    assert b"All notifications are marked as read." in page.content  # the message
    assert b"Mark all as read" not in page.content  # nothing unread left


def test_centre_is_paginated(world, users, personas):
    for i in range(35):
        make_note(users["pemantau"], f"p{i}", minutes_ago=i)
    client = personas["pemantau"].client
    first = client.get(LIST)
    assert [n.key for n in first.context["object_list"]][:2] == ["p0", "p1"]
    assert len(first.context["object_list"]) == 30
    second = client.get(LIST, {"page": 2})
    assert len(second.context["object_list"]) == 5


# --- the bell -----------------------------------------------------------------------------------

BELL = Template('{% include "coordination/_bell.html" %}|{% include "coordination/_bell.html" %}')


def render_bell(user) -> tuple[str, int]:
    request = RequestFactory().get("/")
    request.user = user
    context = Context({"user": user, **notifications(request)})
    with CaptureQueriesContext(connection) as queries:
        html = BELL.render(context)
    return html, len(queries)


def test_bell_shows_unread_count_with_one_query(world, users):
    user = users["kelurahan_a"]
    html, queries = render_bell(user)
    assert queries == 1  # rendered twice, counted once
    assert 'data-testid="notification-count"' not in html
    assert reverse("coordination:notifications") in html
    make_note(user, "r", read=True)
    for i in range(3):
        make_note(user, f"u{i}")
    make_note(users["admin"], "someone-else")
    html, queries = render_bell(user)
    assert queries == 1
    assert html.count('data-testid="notification-count">3<') == 2


def test_bell_caps_at_99_plus(world, users):
    user = users["admin"]
    Notification.objects.bulk_create([
        Notification(user=user, kind=Kind.ASSIGNED, title="t", key=f"b{i}") for i in range(120)])
    html, queries = render_bell(user)
    assert queries == 1 and ">99+<" in html
    Notification.objects.filter(pk__in=Notification.objects.values("pk")[:21]).update(
        read_at=timezone.now())
    html, _ = render_bell(user)
    assert ">99<" in html


def test_bell_for_anonymous_costs_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    html, queries = render_bell(AnonymousUser())
    assert queries == 0 and html == "|"
    assert NotificationBell(RequestFactory().get("/")).count == 0


def test_centre_page_and_bell_share_the_count(world, users, personas, settings):
    """With the context processor installed, the page and the bell count once."""
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {
        **settings.TEMPLATES[0]["OPTIONS"],
        "context_processors": [*settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                               "posko.coordination.bell.notifications"]}}]
    make_note(users["agency"], "one")
    with CaptureQueriesContext(connection) as queries:
        response = personas["agency"].client.get(LIST)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()
              and "coordination_notification" in q["sql"]]
    assert len(counts) <= 2  # the pager's count of the page and the unread count
    assert response.context["notification_bell"].count == 1


# --- send_reminders ---------------------------------------------------------------------------

NOW = timezone.make_aware(datetime.datetime(2024, 11, 20, 8, 0))  # 08:00 WIB


def hours(n: float) -> datetime.timedelta:
    return datetime.timedelta(hours=n)


@pytest.fixture
def agencies(users):
    return {"dinkes": users["agency"].agency, "satpol": Agency.objects.create(name="Satpol PP")}


def task(world, agency, title, due, *, assignees=(), status=Task.Status.BERJALAN, election=None,
         kelurahan=None):
    t = Task.objects.create(election=election or world.election, title=title, agency=agency,
                            kelurahan=kelurahan or world.kel_a, kecamatan=world.kec_a,
                            due_at=due, status=status, created_at=NOW - hours(72),
                            blocked_reason="x" if status == Task.Status.TERHAMBAT else "")
    t.assignees.set(assignees)
    return t


@pytest.fixture
def reminder_world(world, users, agencies):
    users["kelurahan_a"].email = "lurah.a@example.go.id"
    users["kelurahan_a"].save()
    users["agency"].email = "dinkes@example.go.id"
    users["agency"].save()
    inactive = User.objects.create_user("pensiun", role=Role.KELURAHAN, kelurahan=world.kel_a,
                                        is_active=False, email="pensiun@example.go.id")
    old = Election.objects.create(name="Pilkada 2020", voting_date=datetime.date(2020, 12, 9))
    lurah, camat = users["kelurahan_a"], users["kecamatan_a"]
    dinkes, satpol = agencies["dinkes"], agencies["satpol"]
    return {
        "soon": task(world, satpol, "Cek logistik", NOW + hours(5), assignees=[lurah, camat]),
        "later": task(world, satpol, "Rapat RW", NOW + hours(30), assignees=[lurah]),
        "overdue": task(world, satpol, "Laporan harian", NOW - hours(2), assignees=[camat],
                        status=Task.Status.TERHAMBAT),
        "done": task(world, satpol, "Sudah", NOW - hours(5), assignees=[lurah],
                     status=Task.Status.SELESAI),
        "fallback": task(world, dinkes, "Posko kesehatan", NOW + hours(1)),
        "inactive": task(world, dinkes, "Dari pensiunan", NOW - hours(30), assignees=[inactive]),
        "old": task(world, satpol, "Pemilu lama", NOW - hours(3), assignees=[lurah], election=old),
        "edge_now": task(world, satpol, "Tepat sekarang", NOW, assignees=[camat]),
        "edge_24h": task(world, satpol, "Tepat 24 jam", NOW + hours(24), assignees=[camat]),
    }


def run(now=NOW, *args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("send_reminders", "--now", now.isoformat(), *args, stdout=out)
    return out.getvalue()


def keys(kind=None) -> set[str]:
    qs = Notification.objects.all() if kind is None else Notification.objects.filter(kind=kind)
    return set(qs.values_list("key", flat=True))


def test_reminders_windows(reminder_world, users, django_capture_on_commit_callbacks):
    t, lurah, camat, agency = (reminder_world, users["kelurahan_a"], users["kecamatan_a"],
                               users["agency"])
    with django_capture_on_commit_callbacks(execute=True):
        output = run()
    assert keys(Kind.DUE_SOON) == {
        f"due_soon:{t['soon'].pk}:{lurah.pk}", f"due_soon:{t['soon'].pk}:{camat.pk}",
        # no assignee: the agency's operators
        f"due_soon:{t['fallback'].pk}:{agency.pk}",
        # due exactly now is still due (not yet overdue); exactly 24 h ahead is not yet due soon
        f"due_soon:{t['edge_now'].pk}:{camat.pk}",
    }
    assert keys(Kind.OVERDUE) == {
        f"overdue:{t['overdue'].pk}:{camat.pk}",
        # its only assignee is inactive: the agency's operators instead
        f"overdue:{t['inactive'].pk}:{agency.pk}",
    }
    assert not keys(Kind.DIGEST)
    note = Notification.objects.get(key=f"due_soon:{t['soon'].pk}:{lurah.pk}")
    assert (note.user, note.task, note.url) == (lurah, t["soon"], t["soon"].get_absolute_url())
    assert "Cek logistik" in note.title and "20-11-2024 13:00" in note.body and "Klojen" in note.body
    assert "due within 24 h: 4 sent; overdue: 2 sent" in output
    # E-mail only to the users with an address: lurah A (1) and the agency operator (2).
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dinkes@example.go.id", "dinkes@example.go.id", "lurah.a@example.go.id"]
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 3


def test_reminders_are_idempotent(reminder_world, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run()
    created, sent = Notification.objects.count(), len(mail.outbox)
    assert created == 6 and sent == 3
    with django_capture_on_commit_callbacks(execute=True):
        output = run()
    assert Notification.objects.count() == created
    assert len(mail.outbox) == sent
    assert "due within 24 h: 0 sent; overdue: 0 sent; already sent before: 6" in output
    # Two hours later the same day: only what crossed a line in between is new.
    before = keys()
    with django_capture_on_commit_callbacks(execute=True):
        run(NOW + hours(2))
    t, camat, agency = reminder_world, users["kecamatan_a"], users["agency"]
    assert keys() - before == {
        f"overdue:{t['edge_now'].pk}:{camat.pk}",  # was due soon, now overdue
        f"overdue:{t['fallback'].pk}:{agency.pk}",
        f"due_soon:{t['edge_24h'].pk}:{camat.pk}",  # now within 24 h
    }
    assert len(mail.outbox) == sent + 1  # the agency operator has an address


def test_overdue_once_then_only_in_the_digest(reminder_world, users,
                                             django_capture_on_commit_callbacks):
    t, lurah, camat = reminder_world, users["kelurahan_a"], users["kecamatan_a"]
    with django_capture_on_commit_callbacks(execute=True):
        run()
        first_day = keys(Kind.OVERDUE)
        run(NOW + hours(24))
    # An overdue task is announced once; the next day only what newly became overdue is.
    assert keys(Kind.OVERDUE) - first_day == {
        f"overdue:{t['soon'].pk}:{lurah.pk}", f"overdue:{t['soon'].pk}:{camat.pk}",
        f"overdue:{t['fallback'].pk}:{users['agency'].pk}",
        f"overdue:{t['edge_now'].pk}:{camat.pk}",
    }
    assert Notification.objects.filter(kind=Kind.OVERDUE, key=f"overdue:{t['overdue'].pk}:{camat.pk}"
                                       ).count() == 1
    # "later" (due 30 h after the first run) is now within 24 h; the same due-soon key is
    # never sent twice, even the day after.
    assert f"due_soon:{t['later'].pk}:{lurah.pk}" in keys(Kind.DUE_SOON)
    assert f"due_soon:{t['edge_24h'].pk}:{camat.pk}" in keys(Kind.DUE_SOON)
    assert Notification.objects.filter(kind=Kind.DUE_SOON).count() == 6


def test_digest_once_per_day(reminder_world, users, django_capture_on_commit_callbacks):
    lurah, camat, agency = users["kelurahan_a"], users["kecamatan_a"], users["agency"]
    with django_capture_on_commit_callbacks(execute=True):
        output = run(NOW, "--digest")
    digests = {n.user: n for n in Notification.objects.filter(kind=Kind.DIGEST)}
    # Only users with open tasks of the active election (not the admin, pemantau, lurah B).
    assert set(digests) == {lurah, camat, agency}
    assert digests[lurah].key == f"digest:{lurah.pk}:2024-11-20"
    # Lurah A: "soon" (due soon) and "later" (open); "done" and the old election's do not count.
    body = digests[lurah].body
    assert "2 open tasks" in digests[lurah].title
    assert "Overdue: 0" in body and "Due within 24 hours: 1" in body and "Cek logistik" in body
    # Camat: soon, overdue, edge_now, edge_24h.
    assert "4 open tasks" in digests[camat].title
    assert "Overdue: 1" in digests[camat].body and "Laporan harian" in digests[camat].body
    assert "digests: 3 sent" in output
    digest_mails = [m for m in mail.outbox if "Daily digest" in m.subject]
    assert sorted(m.to[0] for m in digest_mails) == ["dinkes@example.go.id", "lurah.a@example.go.id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert "digests: 0 sent" in run(NOW, "--digest")
        later = run(NOW + hours(3), "--digest")  # later the same day: still no second digest
    assert "digests: 0 sent" in later
    assert Notification.objects.filter(kind=Kind.DIGEST).count() == 3
    assert len([m for m in mail.outbox if "Daily digest" in m.subject]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        run(NOW + hours(24), "--digest")
    assert Notification.objects.filter(kind=Kind.DIGEST).count() == 6


def test_digest_lists_at_most_five_tasks_per_section(world, users, agencies,
                                                     django_capture_on_commit_callbacks):
    camat = users["kecamatan_a"]
    for i in range(8):
        task(world, agencies["satpol"], f"Terlambat {i}", NOW - hours(10 + i), assignees=[camat])
    with django_capture_on_commit_callbacks(execute=True):
        run(NOW, "--digest")
    body = Notification.objects.get(kind=Kind.DIGEST, user=camat).body
    assert body.count("- Terlambat") == 5 and "- and 3 more" in body
    assert "Terlambat 7" in body  # the longest overdue first


def test_without_active_election_nothing_is_sent(reminder_world):
    Election.objects.update(is_active=False)
    assert "No active election" in run()
    assert not Notification.objects.exists()


def test_now_option(reminder_world, django_capture_on_commit_callbacks):
    with pytest.raises(CommandError):
        call_command("send_reminders", "--now", "besok pagi", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--now", "2024-11-20T08:00", stdout=io.StringIO())
    assert Notification.objects.count() == 6  # naive: read in TIME_ZONE (WIB), same as NOW


def test_reminder_queries_do_not_grow_with_tasks(world, users, agencies):
    def seed(n, start):
        for i in range(n):
            task(world, agencies["satpol"], f"T{start + i}", NOW + hours(1 + i % 3),
                 assignees=[users["kelurahan_a"]])

    seed(5, 0)
    clock.now()  # the clock's offset is read once per process (the seed emptied that cache)
    with CaptureQueriesContext(connection) as few:
        reminders.send_reminders(world.election, NOW, digest=True)
    Notification.objects.all().delete()
    seed(35, 5)
    with CaptureQueriesContext(connection) as many:
        result = reminders.send_reminders(world.election, NOW, digest=True)
    assert result.due_soon == 40 and result.digests == 1
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]


# --- one mechanism: notify_many behaves like notify.notify --------------------------------


def test_bulk_path_matches_notify(world, users, django_capture_on_commit_callbacks):
    user = users["kelurahan_a"]
    user.email = "lurah.a@example.go.id"
    user.save()
    t = task(world, users["agency"].agency, "Sama", NOW)
    long_title = "Judul " * 60
    with django_capture_on_commit_callbacks(execute=True):
        single = notify.notify(user, Kind.OVERDUE, long_title, key="single:1", url="/koordinasi/",
                               body="Isi", task=t)
        reminders.notify_many([reminders.Outgoing(user, Kind.OVERDUE, long_title, "bulk:1",
                                                  url="/koordinasi/", body="Isi", task_id=t.pk)])
    bulk = Notification.objects.get(key="bulk:1")
    fields = ["user_id", "kind", "title", "body", "url", "task_id", "read_at"]
    assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
    assert len(bulk.title) == 250 and bulk.emailed_at is not None
    first, second = mail.outbox
    assert (first.subject, first.body, first.to, first.from_email) == (
        second.subject, second.body, second.to, second.from_email)
    assert first.body == "Isi\n\nhttp://127.0.0.1:8000/koordinasi/"
    # Both skip an existing key, an inactive user and a missing one.
    inactive = User.objects.create_user("nonaktif", is_active=False, email="x@example.go.id")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.notify(user, Kind.OVERDUE, "x", key="bulk:1") is None
        assert notify.notify(inactive, Kind.OVERDUE, "x", key="n:1") is None
        assert reminders.notify_many([
            reminders.Outgoing(user, Kind.OVERDUE, "x", "single:1"),
            reminders.Outgoing(inactive, Kind.OVERDUE, "x", "n:2"),
            reminders.Outgoing(None, Kind.OVERDUE, "x", "n:3")]) == []
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_emails_are_sent_only_after_commit(world, users, django_capture_on_commit_callbacks):
    user = users["kelurahan_a"]
    user.email = "lurah.a@example.go.id"
    user.save()
    with django_capture_on_commit_callbacks() as callbacks:
        reminders.notify_many([reminders.Outgoing(user, Kind.DUE_SOON, "t", "k:1")])
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    callbacks[0]()  # a second send of the same rows sends nothing: claimed once
    assert len(mail.outbox) == 1


def test_email_subject_has_no_line_breaks(world, users, django_capture_on_commit_callbacks):
    user = users["kelurahan_a"]
    user.email = "lurah.a@example.go.id"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        reminders.notify_many([reminders.Outgoing(user, Kind.DUE_SOON, "baris\nbaru", "k:2")])
    assert mail.outbox[0].subject == "[Posko] baris baru"


def test_bulk_path_skips_rows_a_concurrent_run_wrote(world, users):
    """The keys were read before another run wrote one of them: no error, no duplicate."""
    user = users["kelurahan_a"]
    reminders.notify_many([reminders.Outgoing(user, Kind.DUE_SOON, "dulu", "race:1")])
    written = reminders.notify_many([reminders.Outgoing(user, Kind.DUE_SOON, "t", "race:1"),
                                     reminders.Outgoing(user, Kind.DUE_SOON, "t", "race:2")],
                                    known_keys=set())
    assert {item.key for item in written} == {"race:1", "race:2"}
    assert sorted(Notification.objects.values_list("key", "title")) == [
        ("race:1", "dulu"), ("race:2", "t")]


def test_reminders_run_hourly_in_the_worker_once_per_cluster(world, users, agencies,
                                                             django_capture_on_commit_callbacks):
    """No cron: the worker's schedule queues the reminders job; it sends what the command
    sends, and a second run (another worker, the next hour) sends nothing twice."""
    now = timezone.now()
    soon = task(world, agencies["satpol"], "Cek logistik", now + hours(5), assignees=[users["kelurahan_a"]])
    with django_capture_on_commit_callbacks(execute=True):
        queued = schedule.run_due("worker-1", now=now)
        again = schedule.run_due("worker-2", now=now)
    assert "coordination.reminders" in queued and "coordination.reminders" not in again
    job = Job.objects.get(kind="coordination.reminders")
    assert job.status == "done", job.error
    assert Notification.objects.filter(user=users["kelurahan_a"], task=soon).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        schedule.run_due("worker-2", now=now + hours(1))
    assert Job.objects.filter(kind="coordination.reminders", status="done").count() == 2
    assert Notification.objects.filter(user=users["kelurahan_a"], task=soon).count() == 1


def test_the_job_sends_what_the_command_sends(world, users, agencies,
                                              django_capture_on_commit_callbacks):
    """The periodic job and ``posko send_reminders`` are one thing: after the job ran, the
    command finds every reminder already sent and sends nothing more."""
    now = timezone.now()
    lurah, camat = users["kelurahan_a"], users["kecamatan_a"]
    lurah.email = "lurah.a@example.go.id"
    lurah.save()
    soon = task(world, agencies["satpol"], "Cek logistik", now + hours(5), assignees=[lurah, camat])
    late = task(world, agencies["satpol"], "Laporan harian", now - hours(2), assignees=[camat])
    with django_capture_on_commit_callbacks(execute=True):
        schedule.run_due("worker-1", now=now)
    job = Job.objects.get(kind="coordination.reminders")
    assert job.status == "done", job.error
    assert keys() == {f"due_soon:{soon.pk}:{lurah.pk}", f"due_soon:{soon.pk}:{camat.pk}",
                      f"overdue:{late.pk}:{camat.pk}"}
    assert [m.to for m in mail.outbox] == [["lurah.a@example.go.id"]]
    with django_capture_on_commit_callbacks(execute=True):
        output = run(now + datetime.timedelta(seconds=1))
    assert "due within 24 h: 0 sent; overdue: 0 sent; already sent before: 3" in output
    assert Notification.objects.count() == 3 and len(mail.outbox) == 1
