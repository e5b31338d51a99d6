"""Statistical anomaly flags that compare TPS with each other: robust z-scores of turnout and
shares against the kelurahan/kecamatan median (threshold per election), the same result at
several TPS, the last-digit chi-square per kecamatan; the job (idempotent, replaces old
flags, debounced button); the Anomali page (scoped, filtered, exported, fixed queries)."""

from __future__ import annotations

import datetime
import math

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from posko.accounts.models import User
from posko.core.models import Job
from posko.demo.data import build_demo
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.demo.voting import build_voting
from posko.elections.models import CandidatePair, Contest, Tps
from posko.regions.models import Kelurahan
from posko.voting import anomalies as stats
from posko.voting.models import AreaFlag, ResultStatus, Source, TpsResult, VotingSettings
from posko.voting.services import anomalies
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

QUERIES_ADMIN = 7  # session, user, kecamatan, entries, area flags, digits, notifications
QUERIES_LURAH = 5  # session, user, kelurahan, entries, notifications
ENTERED = timezone.make_aware(datetime.datetime(2024, 11, 27, 16))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- the statistics, by hand ---------------------------------------------------------------------

def test_robust_z_score_and_mad_on_a_hand_computed_example():
    values = [60, 62, 63, 64, 65, 66, 97]
    # median 64; |x - 64| = 4 2 1 0 1 2 33 → sorted 0 1 1 2 2 4 33 → MAD 2
    center, spread = stats.robust_spread(values)
    assert (center, spread) == (64, 2 / 0.6745)
    z = stats.robust_z_scores(values)
    assert z[-1] == pytest.approx(0.6745 * 33 / 2)  # 11.13
    assert z[0] == pytest.approx(0.6745 * -4 / 2)
    assert stats.median([4, 1, 3, 2]) == 2.5


def test_zero_mad_uses_the_mean_absolute_deviation_and_all_equal_flags_nothing():
    # median 5, MAD 0 (four of five equal); mean |x - 5| = 4/5 → s = 1.2533 × 0.8
    assert stats.robust_z_scores([5, 5, 5, 5, 9])[-1] == pytest.approx(4 / (1.2533 * 0.8))
    assert stats.robust_z_scores([7, 7, 7]) == [None, None, None]


def test_small_groups_are_compared_one_level_up():
    counts = {"kel": 4, "kec": 12, "kab": 300}
    assert stats.group_for(counts, "kel", "kec", "kab", "kelurahan") == ("kecamatan", "kec")
    assert stats.group_for({**counts, "kel": 5}, "kel", "kec", "kab", "kelurahan") == (
        "kelurahan", "kel")
    assert stats.group_for({"kec": 3, "kab": 9}, "kel", "kec", "kab", "kecamatan") == (
        "kabkota", "kab")
    assert stats.group_for({"kab": 4}, "kel", "kec", "kab", "kelurahan") is None


def test_chi_square_statistic_and_p_value_against_known_values():
    histogram = [20, 10, 10, 10, 10, 10, 10, 10, 5, 5]  # n = 100, E = 10
    assert stats.chi_square_uniform(histogram) == pytest.approx((100 + 25 + 25) / 10)
    # critical values of chi-square with 9 degrees of freedom
    assert stats.chi_square_p(16.919, 9) == pytest.approx(0.05, abs=1e-5)
    assert stats.chi_square_p(21.666, 9) == pytest.approx(0.01, abs=1e-5)
    assert stats.chi_square_p(27.877, 9) == pytest.approx(0.001, abs=1e-6)
    assert stats.chi_square_p(3.325, 9) == pytest.approx(0.95, abs=1e-4)
    # 2 degrees of freedom: the closed form exp(-x/2)
    assert stats.chi_square_p(5.0, 2) == pytest.approx(math.exp(-2.5), rel=1e-12)
    assert stats.chi_square_p(0, 9) == 1.0
    assert stats.digit_test([4] * 10) is None  # 40 digits: too few to test


def test_last_digits_count_only_counts_of_ten_or_more():
    assert stats.last_digits([7, 10, 23, 123, 9, 45]) == [1, 0, 0, 2, 0, 1, 0, 0, 0, 0]
    assert stats.same_result_key({"1": 5, "2": 4}, 9, 1) is None  # 10 votes: trivially small
    assert stats.same_result_key({"2": 40, "1": 50}, 90, 3) == (((1, 50), (2, 40)), 90, 3)


# --- the job --------------------------------------------------------------------------------------

@pytest.fixture
def contest(world):
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                     deputy_name=f"Wakil {n}")
    return contest


def entry(tps, contest, voters, votes, invalid=4, **extra):
    valid = sum(votes.values())
    return TpsResult.for_tps(
        tps, contest=contest, source=Source.PEMDA, voters_dpt=voters, valid=valid,
        invalid=invalid, votes={str(k): v for k, v in votes.items()}, status=ResultStatus.TERCATAT,
        is_counted=True, entered_at=ENTERED, **extra)


def place(world, kelurahan, turnouts, contest, start=2, dpt=400):
    """TPS in ``kelurahan`` with these turnouts (%, of a DPT of 400) and a 55/45 split."""
    rows = []
    for i, turnout in enumerate(turnouts):
        tps = Tps.objects.create(election=world.election, kelurahan=kelurahan, number=start + i,
                                 dpt_men=dpt // 2, dpt_women=dpt - dpt // 2)
        voters = round(dpt * turnout / 100)
        valid = voters - 4
        first = round(valid * (0.55 + 0.004 * (i % 5)))
        rows.append(entry(tps, contest, voters, {1: first, 2: valid - first}))
    TpsResult.objects.bulk_create(rows)
    return rows


TURNOUTS = [61, 62, 63, 63.25, 64, 65, 66, 97]  # 8 TPS of one kelurahan, one at 97 %


def codes(rows):
    return {r.tps.number: [f["code"] for f in r.stat_flags] for r in rows}


def test_turnout_far_from_the_kelurahan_median_is_flagged_with_its_numbers(world, contest):
    place(world, world.kel_a, TURNOUTS, contest)
    counts = anomalies.recompute(contest)
    assert counts["entries"] == 8
    flagged = TpsResult.objects.get(tps__number=9, tps__kelurahan=world.kel_a)
    # median of 61 62 63 63.25 64 65 66 97 → 63.625 %; |x − median| sorted: 0.375 0.375
    # 0.625 1.375 1.625 2.375 2.625 33.375 → MAD 1.5; z = 0.6745 × 33.375 / 1.5 = 15.0
    assert flagged.stat_flags == [{
        "code": "z_turnout", "z": 15.01,
        "message": "Turnout 97.0% — far from the kelurahan median 63.6% (z = 15.0)."}]
    others = TpsResult.objects.exclude(pk=flagged.pk)
    assert not [r.stat_flags for r in others if r.stat_flags]


def test_the_threshold_comes_from_the_elections_settings(world, contest):
    place(world, world.kel_a, TURNOUTS, contest)
    conf = VotingSettings.for_election(world.election)
    conf.z_threshold = 20
    conf.save()
    anomalies.recompute(contest)
    assert not TpsResult.objects.exclude(stat_flags=[]).exists()
    conf.z_threshold = 14
    conf.save()
    anomalies.recompute(contest)
    assert TpsResult.objects.exclude(stat_flags=[]).count() == 1


def test_a_small_kelurahan_is_compared_with_its_kecamatan(world, contest):
    place(world, world.kel_a, [61, 62, 63, 64, 65, 66], contest)
    place(world, world.kel_a2, [63, 97], contest)  # 2 TPS: too few on their own
    anomalies.recompute(contest)
    flagged = TpsResult.objects.exclude(stat_flags=[])
    assert [(r.tps.kelurahan_id, r.stat_flags[0]["message"]) for r in flagged] == [(
        # 8 TPS: median 63.5 %, MAD 1.5, z = 0.6745 × 33.5 / 1.5
        world.kel_a2.code, "Turnout 97.0% — far from the kecamatan median 63.5% (z = 15.1)."
    )]


def test_the_same_result_at_two_tps_of_a_kecamatan_is_flagged(world, contest):
    tps = [Tps.objects.create(election=world.election, kelurahan=kel, number=n,
                              dpt_men=200, dpt_women=200)
           for kel, n in ((world.kel_a, 2), (world.kel_a2, 2), (world.kel_b, 2),
                          (world.kel_a, 3), (world.kel_a2, 3))]
    TpsResult.objects.bulk_create([
        entry(tps[0], contest, 254, {1: 140, 2: 110}),
        entry(tps[1], contest, 254, {1: 140, 2: 110}),
        entry(tps[2], contest, 254, {1: 140, 2: 110}),  # another kecamatan: not compared
        entry(tps[3], contest, 12, {1: 6, 2: 4}, invalid=2),  # 12 votes: trivially small
        entry(tps[4], contest, 12, {1: 6, 2: 4}, invalid=2),
    ])
    anomalies.recompute(contest)
    flags = {r.tps_id: r.stat_flags for r in TpsResult.objects.all()}
    assert flags[tps[0].pk] == [{"code": "same_result", "message":
                                 "The same result (pairs 1: 140, 2: 110; valid 250, invalid 4) "
                                 "as TPS 002 Rampal Celaket in the same kecamatan."}]
    assert flags[tps[1].pk][0]["message"].endswith("as TPS 002 Klojen in the same kecamatan.")
    assert flags[tps[2].pk] == flags[tps[3].pk] == flags[tps[4].pk] == []


def digits_world(world, contest):
    """A kelurahan of kecamatan A with 60 TPS whose votes all end in 0 or 5, one of
    kecamatan B with 60 TPS and every last digit equally often (shares and turnout spread
    evenly, so no TPS is far from its median)."""
    planted_kel = Kelurahan.objects.create(code="35.73.02.1003", kecamatan=world.kec_a,
                                           name="Kauman")
    uniform_kel = Kelurahan.objects.create(code="35.73.01.1002", kecamatan=world.kec_b,
                                           name="Kesatrian")
    rows = []
    for i in range(60):
        a = Tps.objects.create(election=world.election, kelurahan=planted_kel, number=1 + i,
                               dpt_men=200, dpt_women=200)
        b = Tps.objects.create(election=world.election, kelurahan=uniform_kel, number=1 + i,
                               dpt_men=200, dpt_women=200)
        planted = {1: 120 + 5 * (i % 12), 2: 90 + 10 * (i // 12)}
        uniform = {1: 120 + i, 2: 90 + (7 * i) % 60}
        rows += [entry(a, contest, sum(planted.values()) + 4, planted),
                 entry(b, contest, sum(uniform.values()) + 4, uniform)]
    TpsResult.objects.bulk_create(rows)


def test_a_kecamatan_with_planted_digits_is_flagged_and_a_uniform_one_is_not(world, contest):
    digits_world(world, contest)
    anomalies.recompute(contest)
    areas = {a.kecamatan_id: a for a in AreaFlag.objects.filter(contest=contest)}
    planted, uniform = areas[world.kec_a.code], areas[world.kec_b.code]
    # 120 digits: 90 zeros (pair 2, half of pair 1) and 30 fives, E = 12:
    # χ² = (78² + 18² + 8 × 12²) / 12 = 630
    assert (planted.code, planted.statistic) == ("last_digit", pytest.approx(630))
    assert planted.p_value < 1e-90
    assert planted.message == (
        "Last digits of the pairs' votes far from uniform: χ² = 630.00 (9 degrees of "
        "freedom), p = < 0.0001, from 120 counts of 10 or more.")
    assert planted.kecamatan_id == world.kec_a.code
    assert (uniform.code, uniform.statistic, uniform.p_value) == ("last_digit_ok", 0, 1.0)


def test_the_job_is_idempotent_and_replaces_old_flags(world, contest):
    rows = place(world, world.kel_a, TURNOUTS, contest)
    digits_world(world, contest)
    anomalies.recompute(contest)
    first = sorted(TpsResult.objects.values_list("pk", "stat_flags"))
    areas = list(AreaFlag.objects.values_list("pk", "kecamatan_id", "code"))
    assert anomalies.recompute(contest)["changed"] == 0  # the same rows, nothing rewritten
    assert sorted(TpsResult.objects.values_list("pk", "stat_flags")) == first
    assert [a[1:] for a in AreaFlag.objects.values_list("pk", "kecamatan_id", "code")] == [
        a[1:] for a in areas]
    # a verifier counts the witness's entry of the 97 % TPS: the Pemda's loses its flag
    pemda = TpsResult.objects.get(pk=rows[-1].pk)
    TpsResult.objects.filter(pk=pemda.pk).update(is_counted=False)
    TpsResult.objects.create(**{**{f.attname: getattr(pemda, f.attname) for f in
                                   TpsResult._meta.concrete_fields if f.attname != "id"},
                                "source": Source.SAKSI, "voters_dpt": 256, "stat_flags": []})
    assert anomalies.recompute(contest)["tps_flagged"] == 0
    assert TpsResult.objects.get(pk=pemda.pk).stat_flags == []
    assert not TpsResult.objects.filter(kelurahan=world.kel_a).exclude(stat_flags=[]).exists()
    assert AreaFlag.objects.count() == len(areas)
    assert not AreaFlag.objects.filter(pk__in=[a[0] for a in areas]).exists()  # replaced


def test_the_schedule_recomputes_only_around_voting_day(world, contest, monkeypatch):
    place(world, world.kel_a, TURNOUTS, contest)
    assert anomalies.contests_due(datetime.date(2024, 11, 26)) == []
    assert anomalies.contests_due(datetime.date(2024, 11, 27)) == [contest]
    assert anomalies.contests_due(datetime.date(2024, 12, 1)) == []
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2024, 11, 27))
    message = anomalies.anomalies_job(_Ctx())
    assert message == "Wali Kota Malang: 1 of 8 TPS flagged, 0 kecamatan flagged."
    assert TpsResult.objects.exclude(stat_flags=[]).count() == 1


class _Ctx:
    def progress(self, *args, **kwargs):
        pass


# --- the page -------------------------------------------------------------------------------------

@pytest.fixture
def flagged_world(world, contest):
    place(world, world.kel_a, TURNOUTS, contest)
    place(world, world.kel_b, [60, 61, 62, 63, 64, 65], contest)
    digits_world(world, contest)
    misread = Tps.objects.get(kelurahan=world.kel_b, number=2)
    TpsResult.objects.filter(tps=misread).update(
        status=ResultStatus.PERLU_VERIFIKASI, checks=[{"code": "pairs_valid", "message":
                                                       "The pairs' votes add up to 957."}])
    anomalies.recompute(contest)
    return misread


def page(user, **query):
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("voting:anomalies"), query)


def test_the_page_lists_flagged_tps_with_every_finding(users, contest, flagged_world, world):
    response = page(users["admin"])
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [str(r["tps"]) for r in rows] == ["TPS 002 Jodipan", "TPS 009 Klojen"]
    assert [f["message"] for f in rows[0]["findings"]] == ["The pairs' votes add up to 957."]
    assert [f["message"] for f in rows[1]["findings"]] == [
        "Turnout 97.0% — far from the kelurahan median 63.6% (z = 15.0)."]
    html = response.content.decode()
    assert "Turnout 97.0% — far from the kelurahan median 63.6% (z = 15.0)." in html
    assert "2 TPS flagged." in html
    areas = response.context["areas"]
    assert [(a.kecamatan.name, a.code) for a in areas] == [("Klojen", "last_digit"),
                                                          ("Blimbing", "last_digit_ok")]
    assert [n for _d, n, _w in areas[0].histogram] == [93, 1, 1, 1, 2, 32, 1, 0, 2, 3]  # + the 8 TPS of Klojen
    assert areas[1].histogram is None  # only flagged kecamatan are read again
    assert 'data-testid="digit-histogram"' in html and "Recompute now" in html


def test_the_page_filters_by_code_and_place(users, contest, flagged_world, world):
    rows = page(users["admin"], code="z_turnout").context["rows"]
    assert [str(r["tps"]) for r in rows] == ["TPS 009 Klojen"]
    rows = page(users["admin"], kecamatan=world.kec_b.code).context["rows"]
    assert [str(r["tps"]) for r in rows] == ["TPS 002 Jodipan"]
    assert page(users["admin"], code="nonsense").status_code == 404
    assert page(users["admin"], contest=999999).status_code == 404


def test_the_page_is_scoped(users, contest, flagged_world, world):
    response = page(users["kelurahan_b"])
    assert [str(r["tps"]) for r in response.context["rows"]] == ["TPS 002 Jodipan"]
    assert response.context["areas"] == []  # a lurah sees one kelurahan, not the kecamatan's
    assert "Recompute now" not in response.content.decode()
    assert page(users["kelurahan_b"], kelurahan=world.kel_a.code).status_code == 404
    assert page(users["kecamatan_a"], kecamatan=world.kec_b.code).status_code == 404
    rows = page(users["kecamatan_a"]).context["rows"]
    assert [str(r["tps"]) for r in rows] == ["TPS 009 Klojen"]


def test_the_tps_page_shows_the_statistical_flags(users, contest, flagged_world, world):
    tps = Tps.objects.get(kelurahan=world.kel_a, number=9)
    client = client_for(users["admin"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("voting:tps", args=[tps.pk])).content.decode()
    assert 'data-testid="result-stat-flags"' in html
    assert "Turnout 97.0% — far from the kelurahan median 63.6% (z = 15.0)." in html


def test_the_export_has_one_line_per_finding(users, contest, flagged_world):
    response = page(users["admin"], export="csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "Kecamatan,Kelurahan,TPS,Status,Kind,Code,Finding"
    assert lines[1:] == [
        "Blimbing,Jodipan,TPS 002 Jodipan,Needs verification,Arithmetic,pairs_valid,"
        "The pairs' votes add up to 957.",
        "Klojen,Klojen,TPS 009 Klojen,Recorded,Statistics,z_turnout,"
        "Turnout 97.0% — far from the kelurahan median 63.6% (z = 15.0)."]


def test_recompute_now_queues_one_job_for_the_admin_only(users, contest, flagged_world,
                                                         django_capture_on_commit_callbacks):
    url = reverse("voting:anomalies") + f"?contest={contest.pk}"
    assert client_for(users["kecamatan_a"]).post(url).status_code == 403
    TpsResult.objects.update(stat_flags=[])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users["admin"]).post(url)
    assert response.status_code == 302
    job = Job.objects.get(kind="voting.anomalies")
    assert (job.params, job.status) == ({"contest": contest.pk}, "done")
    assert TpsResult.objects.exclude(stat_flags=[]).count() == 1
    # a button pressed again while a job waits adds none
    Job.objects.filter(pk=job.pk).update(status="queued")
    assert anomalies.request_recompute(contest, users["admin"]).pk == job.pk


def test_the_page_runs_a_fixed_number_of_queries(users, contest, flagged_world, world,
                                                 django_assert_num_queries):
    admin, lurah = client_for(users["admin"]), client_for(users["kelurahan_b"])
    url = reverse("voting:anomalies")
    admin.get(url)  # warm the per-process constants and the sessions
    lurah.get(url)
    with django_assert_num_queries(QUERIES_ADMIN):
        admin.get(url)
    extra = [Tps.objects.create(election=world.election, kelurahan=world.kel_b, number=80 + i,
                                dpt_men=200, dpt_women=200) for i in range(5)]
    TpsResult.objects.bulk_create([entry(t, contest, 30, {1: 20, 2: 6}) for t in extra])
    anomalies.recompute(contest)
    assert len(admin.get(url).context["rows"]) == 7
    with django_assert_num_queries(QUERIES_ADMIN):
        admin.get(url)
    with django_assert_num_queries(QUERIES_LURAH):
        lurah.get(url)


def test_the_demo_has_a_few_dozen_flagged_tps_and_the_misread_ones_among_them():
    result = build_demo(as_of=VOTING_DAY_EVENING)
    admin = client_for(User.objects.get(username="admin"))
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    flagged_tps = set()
    for contest in Contest.objects.filter(election_id=result.election_id):
        response = admin.get(reverse("voting:anomalies"), {"contest": contest.pk})
        rows = response.context["rows"]
        assert 15 <= len(rows) <= 60, (contest, len(rows))
        shown = {r["tps"].pk for r in rows}
        misread = set(TpsResult.objects.filter(
            contest=contest, is_counted=True, status=ResultStatus.PERLU_VERIFIKASI)
            .values_list("tps_id", flat=True))
        assert misread and misread <= shown  # the misread TPS still counted
        found = {f["code"] for r in rows for f in r["findings"] if f["source"] == "stat_flags"}
        assert "z_share" in found, found  # planted and generated
        assert len(response.context["areas"]) == 5  # every kecamatan's digits tested
        flagged_tps |= shown
    assert 25 <= len(flagged_tps) <= 100  # a few dozen
    # a second build recomputes nothing new
    result.other_changes = 0
    build_voting(result)
    assert result.other_changes == 0
