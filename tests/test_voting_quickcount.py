"""The quick count: sample size from a target margin of error, allocation, a reproducible
draw and its hash, the lock, the combined ratio estimator and its margin against numbers
worked out by hand, collapsed strata, when the estimate shows, a coverage simulation, who
sees and changes what, and the estimate page's queries."""

from __future__ import annotations

import datetime
import hashlib
import math
import random
from fractions import Fraction

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from posko.accounts.models import User
from posko.core.models import AuditEntry
from posko.demo.data import build_demo
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.demo.voting_quickcount import build_quick_count
from posko.elections.models import CandidatePair, Contest, Election, Tps
from posko.voting.models import QuickCountDesign, QuickCountTps, ResultStatus, Source, TpsResult
from posko.voting.quickcount import design as qc
from posko.voting.quickcount.estimate import Unit, collapse, estimate
from posko.voting.services import quickcount as services
from tests.conftest import client_for, content_of, table

VOTING_DAY = datetime.date(2024, 11, 27)


def at(hour, minute=0, day=VOTING_DAY):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


BEFORE = at(10, day=datetime.date(2024, 11, 20))


# --- pure arithmetic -------------------------------------------------------------------

def test_sample_size_from_a_target_margin_of_error():
    # N = 1,188 TPS, ±3 points, p = 0.5, z = 1.96:
    # n0 = 1.96² · 0.25 / 0.03² = 3.8416 · 0.25 / 0.0009 = 1067.11
    # n  = 1067.11 / (1 + 1066.11 / 1188) = 1067.11 / 1.89740 = 562.41 → 563
    assert qc.sample_size_for_moe(1188, 3) == 563
    # N = 435,296, ±1 point: n0 = 9604; n = 9604 / (1 + 9603 / 435296) = 9396.7 → 9397
    assert qc.sample_size_for_moe(435_296, 1) == 9397
    # A margin so wide that n0 < 1 still takes one TPS; never more than N.
    assert qc.sample_size_for_moe(10, 0.5) == 10


def test_allocation_is_proportional_with_a_minimum_and_never_above_the_stratum():
    # Proportional: 10 · 60/100 = 6, 10 · 40/100 = 4.
    assert qc.allocate({"A": 60, "B": 40}, 10, 1) == {"A": 6, "B": 4}
    # 20 of 154: C (0.39) and D (0.13) are below the minimum 2 → C 2, D 1 (it has 1 TPS);
    # the other 17 go proportionally to A and B: 11.33 and 5.67 → 11 + 5, and the one left
    # over goes to the larger remainder (B, .67) → A 11, B 6.
    assert qc.allocate({"A": 100, "B": 50, "C": 3, "D": 1}, 20, 2) == {
        "A": 11, "B": 6, "C": 2, "D": 1}
    # Minimums alone above n: every stratum gets its minimum (the sample grows to 6).
    assert qc.allocate({"A": 5, "B": 5, "C": 5}, 4, 2) == {"A": 2, "B": 2, "C": 2}
    # n at or above N: every TPS.
    assert qc.allocate({"A": 3, "B": 2}, 9, 2) == {"A": 3, "B": 2}


def test_same_seed_same_sample_and_hash():
    frame = [qc.FrameTps(i, f"S{i % 4}", f"35.73.0{i % 4}.10{i % 9}", i) for i in range(1, 200)]
    allocation = qc.allocate(qc.strata_sizes(frame), 40, 2)
    first, again = qc.draw(frame, allocation, 42), qc.draw(list(reversed(frame)), allocation, 42)
    assert first == again and len(first) == 40
    assert qc.draw(frame, allocation, 43) != first
    lines = [f"{t.stratum},{t.kelurahan},{t.number}" for t in first]
    expected = hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()
    assert qc.sample_hash(qc.canonical_line(t) for t in again) == expected


# The tiny two-stratum example, worked out by hand.
# Stratum A: N = 10, 2 arrived; stratum B: N = 6, 3 arrived.
#   TPS   valid  pair 1  pair 2   DPT  voters
#   A1     100     60      40     200    110
#   A2     200    100     100     300    210
#   B1     100     30      70     150    105
#   B2     100     50      50     200    100
#   B3     200     80     120     300    210
EXAMPLE = [Unit("A", 100, {1: 60, 2: 40}, 110, 200), Unit("A", 200, {1: 100, 2: 100}, 210, 300),
           Unit("B", 100, {1: 30, 2: 70}, 105, 150), Unit("B", 100, {1: 50, 2: 50}, 100, 200),
           Unit("B", 200, {1: 80, 2: 120}, 210, 300)]


def test_combined_ratio_estimator_and_margin_against_hand_computed_values():
    result = estimate({"A": 10, "B": 6}, EXAMPLE, [1, 2])
    # Weights N_h/n_h: A 10/2 = 5, B 6/3 = 2.
    # Ŷ1 = 5·(60 + 100) + 2·(30 + 50 + 80) = 800 + 320 = 1120
    # X̂  = 5·(100 + 200) + 2·(100 + 100 + 200) = 1500 + 800 = 2300
    # R̂1 = 1120 / 2300 = 56/115 = 0.486957
    r = Fraction(56, 115)
    assert result.pairs[1].value == pytest.approx(float(r), abs=1e-12)
    # d = y − R̂x. A: 60 − 5600/115 = 1300/115, 100 − 11200/115 = 300/115; mean 800/115;
    #   s²_A = ((500/115)² + (500/115)²) / 1 = 20000/529 = 37.8072
    s2_a = Fraction(20000, 529)
    # B: 30 − 5600/115 = −2150/115, 50 − 5600/115 = 150/115, 80 − 11200/115 = −2000/115;
    #   mean −4000/345; deviations −2450/345, 4450/345, −2000/345;
    #   s²_B = (2450² + 4450² + 2000²) / 345² / 2 = 29,805,000 / 119,025 / 2 = 125.2048
    s2_b = Fraction(2450**2 + 4450**2 + 2000**2, 345**2) / 2
    assert float(s2_b) == pytest.approx(125.2048, abs=1e-4)
    # V = (10²·(1 − 2/10)·s²_A/2 + 6²·(1 − 3/6)·s²_B/3) / 2300²
    #   = (1512.287 + 751.229) / 5,290,000 = 0.000427886
    variance = (100 * Fraction(8, 10) * s2_a / 2 + 36 * Fraction(1, 2) * s2_b / 3) / 2300**2
    assert float(variance) == pytest.approx(0.000427886, rel=1e-5)
    se = math.sqrt(variance)  # 0.0206854
    assert result.pairs[1].se == pytest.approx(se, rel=1e-9)
    # 95 % margin: 1.96 · 0.0206854 = 0.040543 → 48.70 % ± 4.05 points.
    assert round(result.pairs[1].percent, 2) == 48.70
    assert round(result.pairs[1].margin, 2) == 4.05
    # Pair 2 is the complement (valid = pair 1 + pair 2): 1180/2300, the same SE.
    assert result.pairs[2].value == pytest.approx(1180 / 2300)
    assert result.pairs[2].se == pytest.approx(se)
    # Turnout: Ŷ = 5·(110 + 210) + 2·(105 + 100 + 210) = 2430; X̂ = 5·500 + 2·650 = 3800.
    assert result.turnout.value == pytest.approx(2430 / 3800)
    # d: A −17.895, 18.158 (s² 649.896); B 9.079, −27.895, 18.158 (s² 595.054)
    # V = (100·0.8·649.896/2 + 36·0.5·595.054/3) / 3800² = 29566.17 / 14,440,000
    assert result.turnout.se == pytest.approx(math.sqrt(29566.17 / 14_440_000), rel=1e-6)
    assert result.collapsed == []


def test_a_stratum_with_one_arrival_is_collapsed_with_the_next():
    units = [EXAMPLE[0], EXAMPLE[1], Unit("B", 100, {1: 50}, 0, 0), EXAMPLE[2], EXAMPLE[3]]
    units[3].stratum = units[4].stratum = "C"
    groups = collapse({"A": 10, "B": 4, "C": 5}, units)
    assert [(g.codes, g.population, g.n) for g in groups] == [(["A"], 10, 2), (["B", "C"], 9, 3)]
    # The last stratum with one arrival goes with the one before it.
    groups = collapse({"A": 10, "B": 4, "C": 5}, [*EXAMPLE[:2], EXAMPLE[2], EXAMPLE[3],
                                                 Unit("C", 10, {}, 0, 0)])
    assert [g.codes for g in groups] == [["A"], ["B", "C"]]
    # A stratum with no arrival at all is estimated through its neighbour too.
    assert estimate({"A": 10, "B": 6, "C": 3}, EXAMPLE, [1]).collapsed == [["B", "C"]]
    assert collapse({"A": 10}, EXAMPLE[:1]) == []


def test_about_95_percent_of_the_intervals_cover_the_true_share():
    """400 samples from a known synthetic population of 2,400 TPS in 12 strata."""
    rng = random.Random(20241127)
    frame, truth = [], {}
    for h in range(12):
        mean = 0.30 + 0.03 * h
        for k in range(rng.randint(120, 280)):
            valid = rng.randint(150, 320)
            share = min(0.95, max(0.02, rng.gauss(mean, 0.09)))
            tps = qc.FrameTps(len(frame) + 1, f"S{h:02d}", f"K{h:02d}.{k // 10:03d}", k % 10 + 1)
            frame.append(tps)
            truth[tps.pk] = (valid, round(valid * share))
    true_share = sum(y for _x, y in truth.values()) / sum(x for x, _y in truth.values())
    sizes = qc.strata_sizes(frame)
    allocation = qc.allocate(sizes, 150, 2)
    covered = 0
    for seed in range(400):
        sample = qc.draw(frame, allocation, seed)
        units = [Unit(t.stratum, truth[t.pk][0], {1: truth[t.pk][1]}) for t in sample]
        ratio = estimate(sizes, units, [1]).pairs[1]
        covered += ratio.value - 1.96 * ratio.se <= true_share <= ratio.value + 1.96 * ratio.se
    assert 0.92 <= covered / 400 <= 0.98


# --- with the database ------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytest.fixture
def city(world):
    """30 TPS of Kota Malang: 20 in kecamatan Klojen (35.73.02), 10 in Blimbing (35.73.01);
    the Wali Kota contest with three pairs."""
    for kel, last in ((world.kel_a, 12), (world.kel_a2, 8), (world.kel_b, 10)):
        for number in range(2, last + 1):
            Tps.objects.create(election=world.election, kelurahan=kel, number=number,
                               dpt_men=150 + number, dpt_women=160)
    contest = Contest.objects.create(election=world.election, name="Wali Kota Malang",
                                     level="walikota", provinsi_id="35", kabkota_id="35.73")
    for n in (1, 2, 3):
        CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                     deputy_name=f"Wakil {n}")
    return contest


VALUES = {"strata": "kecamatan", "target_moe": None, "sample_size": 12, "min_per_stratum": 2,
          "seed": 7, "show_after_percent": 50}


def drawn(world, users, contest, **values):
    design = services.save_design(contest, {**VALUES, **values}, actor=users["admin"],
                                  election=world.election, now=BEFORE)
    return services.draw_sample(design, actor=users["admin"], election=world.election,
                                now=BEFORE)


def locked(world, users, contest, **values):
    design = drawn(world, users, contest, **values)
    return services.lock_sample(design, actor=users["admin"], election=world.election,
                                now=BEFORE)


def arrive(design, contest, count, votes=(120, 100, 80)):
    """Counted C.Hasil for the first ``count`` sampled TPS."""
    rows = []
    for i, item in enumerate(QuickCountTps.objects.filter(design=design).select_related("tps")
                             .order_by("order")[:count]):
        pair = {"1": votes[0] + i, "2": votes[1], "3": votes[2]}
        valid = sum(pair.values())
        rows.append(TpsResult.for_tps(
            item.tps, contest=contest, source=Source.PEMDA, votes=pair, valid=valid,
            invalid=5, voters_dpt=valid + 5, status=ResultStatus.TERCATAT, is_counted=True,
            entered_at=at(15)))
    TpsResult.objects.bulk_create(rows)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def english(user):
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytestmark_db
def test_draw_is_reproducible_allocated_per_kecamatan_and_hashed(world, users, city):
    design = drawn(world, users, city)
    rows = list(QuickCountTps.objects.filter(design=design).select_related("tps")
                .order_by("order"))
    per = {}
    for row in rows:
        assert row.stratum == row.tps.kecamatan_id
        per[row.stratum] = per.get(row.stratum, 0) + 1
    # 12 of 30: Blimbing 10 → 4, Klojen 20 → 8.
    assert per == {"35.73.01": 4, "35.73.02": 8}
    # The hash, recomputed here from the stored list in its documented canonical form.
    lines = sorted(f"{r.stratum},{r.tps.kelurahan_id},{r.tps.number}" for r in rows)
    assert design.sample_hash == hashlib.sha256("\n".join(lines).encode()).hexdigest()
    first = [r.tps_id for r in rows]
    again = services.draw_sample(design, actor=users["admin"], election=world.election,
                                 now=BEFORE)
    assert list(QuickCountTps.objects.filter(design=again).order_by("order")
                .values_list("tps_id", flat=True)) == first
    assert again.sample_hash == design.sample_hash and again.version == design.version + 1


@pytestmark_db
def test_target_margin_gives_the_sample_size(world, users, city):
    # N = 30, ±20 points: n0 = 3.8416·0.25/0.04 = 24.01; n = 24.01/(1 + 23.01/30) = 13.58 → 14
    design = drawn(world, users, city, sample_size=None, target_moe=20)
    assert services.asked_size(design, 30) == 14
    assert QuickCountTps.objects.filter(design=design).count() == 14
    with pytest.raises(ValidationError) as error:
        services.save_design(city, {**VALUES, "target_moe": 2}, actor=users["admin"],
                             election=world.election, design=design, now=BEFORE)
    assert error.value.messages == [
        "Give a target margin of error or a sample size, not both (2 points and 12 TPS given)."]
    with pytest.raises(ValidationError) as error:
        services.save_design(city, {**VALUES, "sample_size": 31}, actor=users["admin"],
                             election=world.election, design=design, now=BEFORE)
    assert error.value.messages == ["The sample (31 TPS) is larger than the contest's 30 TPS."]


@pytestmark_db
def test_after_the_lock_nothing_changes(world, users, city):
    design = locked(world, users, city)
    sample = list(QuickCountTps.objects.filter(design=design).values_list("tps_id", flat=True))
    audits = AuditEntry.objects.count()
    message = (f"The sample was locked on 20-11-2024 10.00 (hash {design.sample_hash[:12]}…): "
               "it can no longer be drawn again, changed or deleted.")
    admin = users["admin"]
    for call in (
            lambda: services.draw_sample(design, actor=admin, election=world.election, now=BEFORE),
            lambda: services.save_design(city, {**VALUES, "seed": 8}, actor=admin,
                                         election=world.election, design=design, now=BEFORE),
            lambda: services.delete_design(design, actor=admin, election=world.election,
                                           now=BEFORE),
            lambda: services.lock_sample(design, actor=admin, election=world.election,
                                         now=BEFORE)):
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.messages == [message]
    stored = QuickCountDesign.objects.get(pk=design.pk)
    assert (stored.version, stored.seed, stored.sample_hash) == (
        design.version, 7, design.sample_hash)
    assert list(QuickCountTps.objects.filter(design=design).values_list("tps_id", flat=True)) \
        == sample
    assert AuditEntry.objects.count() == audits
    # The page says so too, and changes nothing.
    response = english(admin).post(reverse("voting:quick_count_draw", args=[city.pk]),
                                   {"version": stored.version})
    assert response.status_code == 400 and message in response.content.decode()
    assert QuickCountDesign.objects.get(pk=design.pk).version == design.version


@pytestmark_db
def test_no_design_drawn_or_locked_from_voting_day_on(world, users, city):
    design = drawn(world, users, city)
    message = ("Voting day (27-11-2024) has begun: a quick-count sample can only be designed, "
               "drawn and locked before it.")
    for call in (
            lambda: services.lock_sample(design, actor=users["admin"], election=world.election,
                                         now=at(6)),
            lambda: services.draw_sample(design, actor=users["admin"], election=world.election,
                                         now=at(6))):
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.messages == [message]
    assert not QuickCountDesign.objects.get(pk=design.pk).locked_at
    services.delete_design(design, actor=users["admin"], election=world.election, now=at(6))
    with pytest.raises(ValidationError) as error:
        services.save_design(city, VALUES, actor=users["admin"], election=world.election,
                             now=at(6))
    assert error.value.messages == [message]
    assert not QuickCountDesign.objects.exists()


@pytestmark_db
def test_only_the_desk_admin_designs(world, users, city):
    for who in ("kecamatan_a", "kelurahan_a", "pemantau"):
        with pytest.raises(PermissionDenied):
            services.save_design(city, VALUES, actor=users[who], election=world.election,
                                 now=BEFORE)
    design = drawn(world, users, city)
    for who in ("kecamatan_a", "kelurahan_a", "agency", "pemantau"):
        client = english(users[who])
        for name in ("quick_count", "quick_count_draw", "quick_count_lock",
                     "quick_count_delete"):
            assert client.post(reverse(f"voting:{name}", args=[city.pk]),
                               {"version": design.version}).status_code == 403
    assert QuickCountDesign.objects.get(pk=design.pk).version == design.version


@pytestmark_db
def test_a_stale_version_is_a_conflict(world, users, city, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: BEFORE)
    design = drawn(world, users, city)
    client = english(users["admin"])
    response = client.post(reverse("voting:quick_count_lock", args=[city.pk]),
                           {"version": design.version - 1})
    assert response.status_code == 409
    assert "Someone else saved this quick-count design" in response.content.decode()
    assert not QuickCountDesign.objects.get(pk=design.pk).locked_at
    assert client.post(reverse("voting:quick_count_lock", args=[city.pk]),
                       {"version": design.version}).status_code == 302
    assert QuickCountDesign.objects.get(pk=design.pk).locked_at == BEFORE


@pytestmark_db
def test_admin_designs_draws_and_locks_from_the_page(world, users, city, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: BEFORE)
    client = english(users["admin"])
    url = reverse("voting:quick_count", args=[city.pk])
    assert client.get(reverse("voting:quick_count_index")).url == url
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="qc-form"' in page.content.decode()
    bad = client.post(url, {"strata": "kecamatan", "min_per_stratum": 2, "seed": 5,
                            "show_after_percent": 50})
    assert bad.status_code == 400
    assert "Give a target margin of error or a sample size." in bad.content.decode()
    assert not QuickCountDesign.objects.exists()
    assert client.post(url, {"strata": "kecamatan", "sample_size": 12, "min_per_stratum": 2,
                             "seed": 5, "show_after_percent": 50}).status_code == 302
    design = QuickCountDesign.objects.get()
    assert client.post(reverse("voting:quick_count_draw", args=[city.pk]),
                       {"version": design.version}).status_code == 302
    design.refresh_from_db()
    confirm = client.get(reverse("voting:quick_count_lock", args=[city.pk]))
    assert design.sample_hash in confirm.content.decode()
    client.post(reverse("voting:quick_count_lock", args=[city.pk]), {"version": design.version})
    design.refresh_from_db()
    assert design.locked_by == users["admin"]
    page = client.get(url).content.decode()
    assert design.sample_hash in page and 'data-testid="qc-form"' not in page
    # The TXT export is the canonical list: its SHA-256 is the hash.
    text = content_of(client.get(reverse("voting:quick_count_sample", args=[city.pk]),
                                 {"export": "txt"}))
    assert hashlib.sha256(text).hexdigest() == design.sample_hash
    assert len(text.decode().split("\n")) == 12
    for kind in ("csv", "xlsx"):
        rows = table(content_of(client.get(reverse("voting:quick_count_sample", args=[city.pk]),
                                           {"export": kind})), kind)
        assert rows[0][:3] == ["Stratum", "Kelurahan code", "TPS number"]
        assert ["SHA-256", design.sample_hash] == [str(v) for v in rows[14][:2]]
        lines = sorted(f"{r[0]},{r[1]},{r[2]}" for r in rows[1:13])
        assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == design.sample_hash


@pytestmark_db
def test_the_estimate_shows_after_the_close_and_the_arrival_share(world, users, city,
                                                                   monkeypatch):
    design = locked(world, users, city)
    client = english(users["admin"])
    url = reverse("voting:quick_count", args=[city.pk])
    monkeypatch.setattr(timezone, "now", lambda: at(12, 59))
    arrive(design, city, 12)
    page = client.get(url).content.decode()
    assert "The estimate is shown after the TPS close (27-11-2024 13.00)." in page
    assert 'data-testid="qc-pair"' not in page
    TpsResult.objects.all().delete()
    arrive(design, city, 5)
    monkeypatch.setattr(timezone, "now", lambda: at(13, 0))
    page = client.get(url).content.decode()
    assert ("The estimate is shown once 50 % of the sample has arrived (now 5 of 12, 41.7 %)."
            in page)
    TpsResult.objects.all().delete()
    arrive(design, city, 6)
    page = client.get(url).content.decode()
    assert page.count('data-testid="qc-pair"') == 3
    assert "From 6 of 12 sampled TPS (50.0 %)." in page
    assert "not the official result" in page


@pytestmark_db
def test_the_page_estimate_matches_the_estimator_and_names_collapsed_strata(world, users, city,
                                                                            monkeypatch):
    design = locked(world, users, city, show_after_percent=40)
    monkeypatch.setattr(timezone, "now", lambda: at(20))
    # Arrivals: the first 5 in sample order = 4 of Blimbing (35.73.01) and 1 of Klojen.
    arrive(design, city, 5)
    page = english(users["admin"]).get(reverse("voting:quick_count", args=[city.pk]))
    state = page.context["state"]
    assert [s["arrived"] for s in state.strata] == [4, 1]
    # Klojen has one arrival: it is the last stratum, so it goes with Blimbing.
    assert state.result.collapsed == [["35.73.01", "35.73.02"]]
    html = page.content.decode()
    assert "estimated together with the next stratum: Blimbing + Klojen." in html
    units = []
    for r in TpsResult.objects.select_related("tps"):
        units.append(Unit(r.kecamatan_id, r.valid, {int(k): v for k, v in r.votes.items()},
                          r.voters, r.tps.dpt_total))
    expected = estimate({"35.73.01": 10, "35.73.02": 20}, units, [1, 2, 3])
    # One group of N = 30 with 5 arrivals: the weights cancel, R̂ = Σy / Σx.
    assert state.result.pairs[1].value == pytest.approx(
        sum(u.votes[1] for u in units) / sum(u.valid for u in units))
    assert state.result.pairs[1].se == pytest.approx(expected.pairs[1].se)


@pytestmark_db
def test_what_a_lurah_sees(world, users, city, monkeypatch):
    design = locked(world, users, city)
    client = english(users["kelurahan_a"])
    url = reverse("voting:quick_count", args=[city.pk])
    sample_url = reverse("voting:quick_count_sample", args=[city.pk])
    monkeypatch.setattr(timezone, "now", lambda: at(9))
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and design.sample_hash in html
    assert 'data-testid="qc-seed"' not in html and 'data-testid="qc-form"' not in html
    assert client.get(sample_url).status_code == 403
    assert client.get(sample_url, {"export": "csv"}).status_code == 403
    monkeypatch.setattr(timezone, "now", lambda: at(14))
    arrive(design, city, 12)
    page = client.get(url)
    assert page.content.decode().count('data-testid="qc-pair"') == 3
    listed = client.get(sample_url)
    mine = QuickCountTps.objects.filter(design=design, tps__kelurahan=world.kel_a).count()
    assert len(listed.context["page"].object_list) == mine
    assert all(row.tps.kelurahan_id == world.kel_a.code for row in listed.context["page"])
    rows = table(content_of(client.get(sample_url, {"export": "csv"})), "csv")
    assert len([r for r in rows[1:] if r and r[0].startswith("35.")]) == mine
    # Anonymous: the login page; another election's contest: 404.
    assert client_for(None).get(url).status_code == 302
    other = Election.objects.create(name="Lain", voting_date=VOTING_DAY)
    foreign = Contest.objects.create(election=other, name="Lain", level="walikota",
                                     provinsi_id="35", kabkota_id="35.73")
    assert client.get(reverse("voting:quick_count", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("voting:quick_count", args=[999_999])).status_code == 404


@pytestmark_db
def test_the_estimate_page_runs_a_fixed_number_of_queries(world, users, city, monkeypatch,
                                                          django_assert_num_queries):
    design = locked(world, users, city)
    monkeypatch.setattr(timezone, "now", lambda: at(20))
    arrive(design, city, 8)
    client = english(users["admin"])
    url = reverse("voting:quick_count", args=[city.pk])
    client.get(url)  # creates the voting settings (a watched row: the cache starts again)
    client.get(url)  # warm the per-process constants
    # session, user, design (with who locked it), sample, its TPS, strata sizes, counted
    # results, stratum names, and the header's unread notifications
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.context["state"].result is not None
    TpsResult.objects.all().delete()
    arrive(design, city, 12)  # more arrivals: the same queries
    with django_assert_num_queries(9):
        client.get(url)


@pytestmark_db
def test_demo_has_a_locked_sample_per_contest_whose_estimate_shows(monkeypatch):
    result = build_demo(as_of=VOTING_DAY_EVENING)
    admin = User.objects.get(username="admin")
    for design in QuickCountDesign.objects.filter(election_id=result.election_id):
        rows = list(QuickCountTps.objects.filter(design=design).select_related("tps"))
        assert len(rows) == 300 and design.locked_at.date() == datetime.date(2024, 11, 24)
        lines = sorted(f"{r.stratum},{r.tps.kelurahan_id},{r.tps.number}" for r in rows)
        assert hashlib.sha256("\n".join(lines).encode()).hexdigest() == design.sample_hash
        page = english(admin).get(reverse("voting:quick_count", args=[design.contest_id]))
        state = page.context["state"]
        # The few misread entries in the sample are left out until corrected.
        assert state.arrived + state.left_out == 300 and state.result.collapsed == []
        # The truth: every counted entry that adds up (the demo's misread "perlu verifikasi"
        # entries carry 800 extra votes for one pair, a few points of the city's total).
        counted = TpsResult.objects.filter(contest_id=design.contest_id, is_counted=True,
                                           status=ResultStatus.TERCATAT)
        valid = sum(counted.values_list("valid", flat=True))
        for number, ratio in state.result.pairs.items():
            true = sum(r.get(str(number), 0) for r in counted.values_list("votes", flat=True))
            assert ratio.low <= 100 * true / valid <= ratio.high, (design.contest, number)
    assert QuickCountDesign.objects.filter(election_id=result.election_id).count() == 2
    before = QuickCountTps.objects.count()
    result.other_changes = 0
    build_quick_count(result, Election.objects.get(pk=result.election_id))
    assert result.other_changes == 0 and QuickCountTps.objects.count() == before


@pytestmark_db
def test_an_entry_that_does_not_add_up_is_left_out_until_corrected(world, users, city,
                                                                   monkeypatch):
    design = locked(world, users, city)
    monkeypatch.setattr(timezone, "now", lambda: at(20))
    arrive(design, city, 12)
    misread = TpsResult.objects.order_by("pk").first()
    misread.votes = {**misread.votes, "3": 880}  # 80 read as 880: pairs ≠ valid
    misread.status = ResultStatus.PERLU_VERIFIKASI
    misread.save()
    page = english(users["admin"]).get(reverse("voting:quick_count", args=[city.pk]))
    state = page.context["state"]
    assert (state.arrived, state.left_out) == (11, 1)
    assert ("1 sampled TPS left out until corrected: their pairs' votes do not add up to the "
            "valid votes.") in page.content.decode()
    units = [Unit(r.kecamatan_id, r.valid, {int(k): v for k, v in r.votes.items()}, r.voters,
                  r.tps.dpt_total)
             for r in TpsResult.objects.exclude(pk=misread.pk).select_related("tps")]
    expected = estimate({"35.73.01": 10, "35.73.02": 20}, units, [1, 2, 3])
    assert state.result.pairs[3].value == pytest.approx(expected.pairs[3].value)
    assert state.result.pairs[3].se == pytest.approx(expected.pairs[3].se)
