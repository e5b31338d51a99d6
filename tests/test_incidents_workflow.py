"""Reports: intake rules, the triage workflow, SLA targets and escalation with a frozen
clock, merging, derived indicator values, coordination tasks."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from posko.accounts.models import Agency, Role, User
from posko.core import derived, notify, tasks
from posko.core.models import AuditEntry
from posko.elections.models import Stage
from posko.incidents import services
from posko.incidents.models import Comment, Evidence, IncidentSettings, Report, State
from tests.incidents_fixtures import NOW, FakeNotify, category, exe_as_jpg, make_report, mp4, photo

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def bawaslu(db):
    return Agency.objects.create(name="Bawaslu Kota Malang", short_name="Bawaslu",
                                 kind=Agency.Kind.MITRA)


@pytest.fixture
def fake_notify():
    fake = FakeNotify()
    previous = notify._provider
    notify.register_provider(fake)
    yield fake
    notify.register_provider(previous)


def test_create_sets_code_place_targets_and_audit(world, users):
    report = make_report(world, users["kelurahan_a"], severity="kritis", now=NOW)
    assert report.code.startswith("LP-") and len(report.code) == 12
    assert report.kelurahan_id == world.kel_a.code and report.kecamatan_id == world.kec_a.code
    assert report.state == State.BARU
    assert report.response_due_at == NOW + H  # kritis: respond within 1 hour
    assert report.resolve_due_at == NOW + 24 * H
    assert report.reported_by == users["kelurahan_a"]
    assert AuditEntry.objects.filter(action="create", object_id=str(report.pk)).exists()


def test_targets_follow_the_election_settings(world, users):
    conf = IncidentSettings.for_election(world.election)
    conf.respond_kritis = 30
    conf.save()
    report = make_report(world, users["admin"], severity="kritis", now=NOW)
    assert report.response_due_at == NOW + datetime.timedelta(minutes=30)


def test_lurah_cannot_report_about_another_kelurahan(world, users):
    with pytest.raises(ValidationError) as exc:
        make_report(world, users["kelurahan_a"], tps=world.tps_b)
    assert "your own kelurahan" in str(exc.value)
    assert Report.objects.count() == 0


def test_place_outside_the_pemda_is_refused(world, users):
    with pytest.raises(ValidationError) as exc:
        make_report(world, users["admin"], tps=world.tps_outside)
    assert "outside the Pemda" in str(exc.value)
    assert Report.objects.count() == 0


def test_pemantau_cannot_report(world, users):
    with pytest.raises(PermissionDenied):
        make_report(world, users["pemantau"])


def test_missing_description_and_future_time(world, users):
    with pytest.raises(ValidationError) as exc:
        make_report(world, users["admin"], description="x",
                    occurred_at=NOW + datetime.timedelta(days=1), now=NOW)
    errors = exc.value.message_dict
    assert "at least 10 characters" in errors["description"][0]
    assert "future" in errors["occurred_at"][0]
    assert Report.objects.count() == 0


def test_evidence_is_checked_by_content_and_nothing_half_saved(world, users):
    with pytest.raises(ValidationError) as exc:
        make_report(world, users["admin"], files=[photo(), exe_as_jpg()])
    assert "not a file of an accepted type" in str(exc.value)
    assert Report.objects.count() == 0 and Evidence.objects.count() == 0


def test_video_over_the_limit_is_refused(world, users):
    with pytest.raises(ValidationError) as exc:
        make_report(world, users["admin"], files=[mp4(size=100 * 1024 * 1024)])
    assert "too large" in str(exc.value) and "100.0" in str(exc.value)
    assert Report.objects.count() == 0


def test_jpeg_location_kept_internally_and_stripped_from_the_file(world, users):
    report = make_report(world, users["admin"], files=[photo(), mp4()])
    jpeg, video = report.evidence.order_by("pk")
    assert (jpeg.kind, video.kind) == ("JPEG", "MP4")
    assert float(jpeg.latitude) == pytest.approx(-7.975) and float(jpeg.longitude) == pytest.approx(112.62)
    stored = jpeg.file.open("rb").read()
    assert b"Exif" not in stored and stored.startswith(b"\xff\xd8")


def _admin_moves(report, admin, *moves):
    for state, kwargs in moves:
        services.transition(report, state, actor=admin, **kwargs)
    return report


def test_full_workflow_and_history(world, users, bawaslu):
    admin = users["admin"]
    report = make_report(world, admin, now=NOW, code="lainnya")  # no usual agency
    assert report.agency is None
    services.transition(report, State.DIVERIFIKASI, actor=admin, now=NOW + H)
    assert report.responded_at == NOW + H
    with pytest.raises(ValidationError) as exc:
        services.transition(report, State.DITERUSKAN, actor=admin)
    assert "forwarded to" in str(exc.value)
    services.transition(report, State.DITERUSKAN, actor=admin, agency=bawaslu,
                        forwarded_to=Report.Body.BAWASLU)
    assert report.agency == bawaslu and report.forwarded_to == "bawaslu"
    services.transition(report, State.DITINDAKLANJUTI, actor=admin)
    with pytest.raises(ValidationError) as exc:
        services.transition(report, State.SELESAI, actor=admin)
    assert "how the report was resolved" in str(exc.value)
    services.transition(report, State.SELESAI, actor=admin, note="Bawaslu menindaklanjuti.")
    report.refresh_from_db()
    assert report.state == State.SELESAI and report.resolved_at is not None
    moves = AuditEntry.objects.filter(object_id=str(report.pk), message__startswith="state:")
    assert moves.count() == 4


def test_illegal_transition_is_refused_and_nothing_changes(world, users):
    admin = users["admin"]
    report = make_report(world, admin)
    services.transition(report, State.DIVERIFIKASI, actor=admin)
    services.transition(report, State.SELESAI, actor=admin, note="Selesai.")
    version = Report.objects.get(pk=report.pk).version
    with pytest.raises(ValidationError) as exc:
        services.transition(report, State.DIVERIFIKASI, actor=admin)
    assert "cannot be moved to Verified" in str(exc.value)
    fresh = Report.objects.get(pk=report.pk)
    assert fresh.state == State.SELESAI and fresh.version == version


def test_reject_needs_reason_and_reopen(world, users):
    admin = users["admin"]
    report = make_report(world, admin)
    with pytest.raises(ValidationError) as exc:
        services.transition(report, State.DITOLAK, actor=admin)
    assert "why the report is rejected" in str(exc.value)
    assert Report.objects.get(pk=report.pk).state == State.BARU
    services.transition(report, State.DITOLAK, actor=admin, note="Bukan wewenang desk.")
    assert report.rejection_reason == "Bukan wewenang desk."
    services.transition(report, State.BARU, actor=admin, note="")
    assert Report.objects.get(pk=report.pk).state == State.BARU


def test_stale_version_is_a_conflict(world, users):
    admin = users["admin"]
    report = make_report(world, admin)
    stale = report.version
    services.transition(Report.objects.get(pk=report.pk), State.DIVERIFIKASI, actor=admin)
    with pytest.raises(ValidationError) as exc:
        services.transition(Report.objects.get(pk=report.pk), State.DITOLAK, actor=admin,
                            note="x", expected_version=stale)
    assert "Someone else saved" in str(exc.value)
    assert Report.objects.get(pk=report.pk).state == State.DIVERIFIKASI


def test_who_may_triage(world, users, bawaslu):
    report = make_report(world, users["kelurahan_a"])
    for name in ("kelurahan_a", "pemantau", "agency", "kelurahan_b"):
        with pytest.raises(PermissionDenied):
            services.transition(report, State.DIVERIFIKASI, actor=users[name])
    services.transition(report, State.DIVERIFIKASI, actor=users["kecamatan_a"])
    # The assigned agency follows up, but may not verify or reject.
    services.transition(report, State.DITERUSKAN, actor=users["admin"],
                        agency=users["agency"].agency)
    assert services.allowed_states(users["agency"], report) == [State.DITINDAKLANJUTI, State.SELESAI]
    services.transition(report, State.DITINDAKLANJUTI, actor=users["agency"])
    assert report.state == State.DITINDAKLANJUTI


def test_escalation_with_a_frozen_clock_is_idempotent(world, users, fake_notify):
    agency = users["agency"].agency
    report = make_report(world, users["admin"], severity="kritis", now=NOW, agency=agency)
    assert report.agency == agency
    assert services.escalate(now=NOW + datetime.timedelta(minutes=59)) == {
        "response": 0, "resolution": 0, "notifications": 0}
    counts = services.escalate(now=NOW + 2 * H)
    assert counts["response"] == 1 and counts["resolution"] == 0
    recipients = sorted({name for name, *_rest in fake_notify.sent})
    assert recipients == ["admin", "agency"]
    assert all(kind == "escalation" for _n, kind, *_r in fake_notify.sent)
    report.refresh_from_db()
    assert report.escalated_response_at == NOW + 2 * H and report.overdue(NOW + 2 * H)
    # Every minute again: nothing new.
    assert services.escalate(now=NOW + 2 * H + datetime.timedelta(minutes=1))["response"] == 0
    assert len(fake_notify.sent) == 2
    # Past the resolution target (24 h): escalated once more.
    assert services.escalate(now=NOW + 25 * H)["resolution"] == 1
    assert services.escalate(now=NOW + 26 * H)["resolution"] == 0
    assert len(fake_notify.sent) == 4


def test_responded_report_is_not_escalated_for_response(world, users, fake_notify):
    report = make_report(world, users["admin"], severity="kritis", now=NOW)
    services.transition(report, State.DIVERIFIKASI, actor=users["admin"], now=NOW + H / 2)
    assert services.escalate(now=NOW + 2 * H)["response"] == 0
    closed = make_report(world, users["admin"], severity="kritis", now=NOW, kelurahan=world.kel_a2,
                         tps=None, title="Lain")
    services.transition(closed, State.DITOLAK, actor=users["admin"], note="Hoaks.")
    assert services.escalate(now=NOW + 48 * H) == {"response": 0, "resolution": 1,
                                                    "notifications": 1}


def test_escalate_command_runs_twice_without_new_notifications(world, users, fake_notify, capsys):
    make_report(world, users["admin"], severity="kritis",
                now=datetime.datetime.now(datetime.UTC) - 3 * H)
    call_command("escalate")
    assert "escalated: 1 response" in capsys.readouterr().out
    call_command("escalate")
    assert "escalated: 0 response, 0 resolution; notifications sent: 0" in capsys.readouterr().out


def test_duplicates_and_merge_keep_evidence_and_reporters(world, users):
    admin = users["admin"]
    first = make_report(world, users["kelurahan_a"], now=NOW, files=[photo()])
    second = make_report(world, users["kecamatan_a"], now=NOW + H, files=[mp4()], severity="tinggi")
    other_category = make_report(world, admin, code="bencana", title="Banjir", now=NOW)
    assert list(services.duplicates(second)) == [first]
    assert other_category not in services.duplicates(first)
    conf = IncidentSettings.for_election(world.election)
    conf.duplicate_window_hours = 0
    conf.save()
    assert list(services.duplicates(second)) == []
    services.merge(second, first, actor=admin)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.merged_into == first and second.state == State.SELESAI
    assert first.severity == "tinggi"  # the survivor takes the higher severity
    family = services.family(first)
    assert Evidence.objects.filter(report__in=family).count() == 2
    assert {r.reported_by.username for r in family} == {"kelurahan_a", "kecamatan_a"}
    with pytest.raises(ValidationError):
        services.merge(first, first, actor=admin)
    with pytest.raises(PermissionDenied):
        services.merge(first, second, actor=users["kelurahan_a"])
    # The merged report's tracking code shows the surviving report.
    assert services.public_status(second.code) == first


def test_comment_is_internal_and_audited(world, users):
    report = make_report(world, users["admin"])
    with pytest.raises(ValidationError):
        services.add_comment(report, "   ", actor=users["kelurahan_a"])
    services.add_comment(report, "Sudah dicek ke lokasi.", actor=users["kelurahan_a"])
    assert Comment.objects.get().author == users["kelurahan_a"]
    with pytest.raises(PermissionDenied):
        services.add_comment(report, "x", actor=users["pemantau"])


def test_derived_sources_only_verified_reports_at_a_tps(world, users):
    admin = users["admin"]
    seen = []

    def listener(sender, election, tps_ids, **kwargs):
        seen.append((sender, tuple(tps_ids or ())))

    derived.source_changed.connect(listener, dispatch_uid="test-incidents-listener")
    try:
        report = make_report(world, admin, involves_violence=True, code="keamanan", title="Ricuh")
        money = make_report(world, admin, tps=world.tps_b)
        make_report(world, admin, kelurahan=world.kel_a2, tps=None)  # not at a TPS
        source = derived.source("incidents.politik_uang")
        assert source is not None and source.indicator == "politik_uang"
        assert list(source.function(world.election, None)) == []  # still baru
        services.transition(money, State.DIVERIFIKASI, actor=admin)
        services.transition(report, State.DIVERIFIKASI, actor=admin)
        values = list(source.function(world.election, None))
        assert [v.tps_id for v in values] == [world.tps_b.pk]
        assert values[0].value == 1 and money.code in values[0].evidence
        assert values[0].url == money.get_absolute_url()
        violence = list(derived.source("incidents.riwayat_kekerasan").function(world.election, None))
        assert [v.tps_id for v in violence] == [world.tps_a.pk]
        assert list(derived.source("incidents.riwayat_kekerasan").function(
            world.election, [world.tps_b.pk])) == []
        services.transition(money, State.DITOLAK, actor=admin, note="Tidak terbukti.")
        assert list(source.function(world.election, None)) == []
    finally:
        derived.source_changed.disconnect(dispatch_uid="test-incidents-listener")
    for code in ("riwayat_kekerasan", "intimidasi_penyelenggara", "politik_uang",
                 "sara_ujaran_kebencian", "penyelenggara_tidak_netral", "asn_tidak_netral"):
        assert derived.source(f"incidents.{code}").indicator == code


@pytest.mark.django_db(transaction=True)
def test_changed_is_sent_after_commit(world, users):
    seen = []

    def listener(sender, election, tps_ids, **kwargs):
        seen.append((sender, tuple(tps_ids)))

    derived.source_changed.connect(listener, dispatch_uid="test-incidents-commit")
    try:
        report = make_report(world, users["admin"])
        seen.clear()
        services.transition(report, State.DIVERIFIKASI, actor=users["admin"])
        assert ("incidents.politik_uang", (world.tps_a.pk,)) in seen
    finally:
        derived.source_changed.disconnect(dispatch_uid="test-incidents-commit")


def test_spawn_task_shows_its_status(world, users):
    if not tasks.available():
        pytest.skip("coordination module absent")
    report = make_report(world, users["admin"], agency=users["agency"].agency)
    ref = services.spawn_task(report, actor=users["admin"])
    found = tasks.tasks_for([services.task_source(report)])[services.task_source(report)]
    assert [t.pk for t in found] == [ref.pk] and found[0].status_label
    with pytest.raises(PermissionDenied):
        services.spawn_task(report, actor=users["kelurahan_a"])


def test_default_categories_are_editable_rows(world):
    assert services.ensure_categories() == 11
    assert services.ensure_categories() == 0
    assert category("netralitas_asn").is_neutrality_asn
    assert category("keamanan").is_security


def test_recipients_are_active_admins_and_agency_users(world, users):
    report = make_report(world, users["admin"], agency=users["agency"].agency)
    User.objects.create_user("admin_off", password="x", role=Role.ADMIN, is_active=False)
    names = sorted(u.username for u in services.escalation_recipients(report))
    assert names == ["admin", "agency"]


def test_new_report_takes_the_stage_of_its_day_with_and_without_settings(world, users):
    """The stage and the settings are read together on the intake path; on first use (no
    settings row yet) the row is created and the stage still found."""
    campaign = Stage.objects.create(election=world.election, name="Kampanye",
                                    start_date=datetime.date(2024, 11, 24),
                                    end_date=datetime.date(2024, 11, 27))
    IncidentSettings.objects.filter(election=world.election).delete()
    first = make_report(world, users["admin"], now=NOW)
    assert first.stage_id == campaign.pk
    assert Report.objects.get(pk=first.pk).stage == campaign
    assert IncidentSettings.objects.filter(election=world.election).count() == 1
    IncidentSettings.objects.filter(election=world.election).update(respond_sedang=90)
    second = make_report(world, users["admin"], now=NOW)
    assert second.stage_id == campaign.pk
    assert second.response_due_at == NOW + datetime.timedelta(minutes=90)
    before = make_report(world, users["admin"], now=NOW,
                         occurred_at=datetime.datetime(2024, 11, 20, 9, 0, tzinfo=datetime.UTC))
    assert before.stage_id is None
    public = Report(election=world.election, category=category("politik_uang"), tps=world.tps_a,
                    title="Amplop", description="Amplop dibagikan di dekat TPS.",
                    occurred_at=NOW - H)
    services.submit_public(public, ip="10.1.2.3", now=NOW)
    assert public.stage_id == campaign.pk

