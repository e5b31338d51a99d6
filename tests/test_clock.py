"""The one clock (core.clock): simulated time for demos and training, nothing else reads the
system time."""

import datetime
import io
import pathlib
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from posko.core import clock, constants
from posko.core.models import SimulatedClock

ROOT = pathlib.Path(__file__).resolve().parent.parent / "posko"
DIRECT = re.compile(r"timezone\.now\(|timezone\.localdate\(\)|\bdate\.today\(\)|"
                    r"datetime\.now\(|datetime\.utcnow\(|timezone\.localtime\(\)|"
                    r"default=timezone\.now\b|import now\b")
# core infrastructure that follows the real time whatever a simulation says
REAL_TIME_FILES = {"core/clock.py", "core/jobs.py", "core/job_views.py", "core/cards.py",
                   "core/backup.py", "core/schedule.py", "core/idempotency.py", "core/models.py",
                   "core/management/commands/worker.py"}


def test_nothing_outside_the_clock_reads_the_system_time():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in REAL_TIME_FILES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DIRECT.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_real_time_files_all_exist():
    """The allow-list names real files (a renamed file must not silently escape the check)."""
    assert all((ROOT / name).exists() for name in REAL_TIME_FILES)


def test_the_check_catches_a_direct_call():
    assert DIRECT.search("    now = timezone.now()")
    assert DIRECT.search("today = datetime.date.today()") and DIRECT.search("date.today()")
    assert DIRECT.search("created = models.DateTimeField(default=timezone.now)")
    assert not DIRECT.search("now = clock.now()") and not DIRECT.search("timezone.localdate(value)")


@pytest.mark.django_db
def test_simulated_time_moves_on_from_as_of_and_ends():
    as_of = timezone.make_aware(datetime.datetime(2024, 11, 26, 8, 0))
    clock.simulate(as_of)
    assert clock.is_simulated()
    assert abs((clock.now() - as_of).total_seconds()) < 5
    assert clock.today() == datetime.date(2024, 11, 26)
    assert clock.now() - clock.real_now() < datetime.timedelta(days=-700)
    clock.simulate(None)
    assert not clock.is_simulated() and not SimulatedClock.objects.exists()
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5


@pytest.mark.django_db
def test_another_process_sees_the_simulation(settings):
    """A process that cached the real time sees the new offset when the shared counter moves."""
    settings.POSKO_CONSTANTS_CHECK_SECONDS = 0
    assert not clock.is_simulated()
    SimulatedClock.objects.create(pk=1, offset_seconds=-86400, as_of=timezone.now(),
                                  set_at=timezone.now())
    constants.changed()
    constants.reset(recheck=True)
    assert clock.offset() == datetime.timedelta(days=-1)


@pytest.mark.django_db
def test_page_header_names_the_simulated_time(client, users):
    client.force_login(users["admin"])
    assert "simulated-clock" not in client.get(reverse("home")).content.decode()
    clock.simulate(timezone.make_aware(datetime.datetime(2024, 11, 26, 8, 0)))
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert 'data-testid="simulated-clock"' in page
    assert "Simulasi — waktu: Selasa 26 Nov 2024 08:0" in page
    # the public login page says it too
    client.logout()
    assert "Simulasi — waktu" in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_clock_command():
    out = io.StringIO()
    call_command("clock", "--as-of", "2024-11-27T20:00", stdout=out)
    assert "2024-11-27 20:0" in out.getvalue()
    assert clock.today() == datetime.date(2024, 11, 27)
    out = io.StringIO()
    call_command("clock", "--real", stdout=out)
    assert not clock.is_simulated()
    with pytest.raises(CommandError, match="not a date and time|bukan tanggal dan jam"):
        call_command("clock", "--as-of", "besok")
    assert not SimulatedClock.objects.exists()
