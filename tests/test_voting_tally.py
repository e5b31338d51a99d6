"""Running tallies: the counters (one per kelurahan × contest) always equal a from-scratch sum
of the counted entries after any sequence of entries, corrections, status changes and
verifier choices; concurrent submissions lose nothing on PostgreSQL; the tally reads them
with a fixed number of queries and shows % in and % verified; the Wali Kota PDF and the
daily-report section; the board's map data (scoped, ETag/304, TPS without coordinates)."""

from __future__ import annotations

import datetime
import io
import random
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.core.reports import build_report, registered_sections
from posko.elections.models import Tps
from posko.voting import rollup, services
from posko.voting.models import TallyCounter, TpsResult
from posko.voting.report import voting_section
from posko.voting.services import verify
from tests.test_reports import pdf_text
from tests.voting_fixtures import (
    VOTING_DAY,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
)

pytestmark = pytest.mark.django_db





@pytest.fixture
def contests(world):
    return make_contests(world, "walikota", "gubernur")


def entry(rng, dpt=410, bad=False):
    """A C.Hasil: adds up unless ``bad`` (then the pairs' sum is off)."""
    voters = rng.randint(150, min(dpt, 380))
    invalid = rng.randint(0, 10)
    valid = voters - invalid
    a = rng.randint(0, valid)
    b = rng.randint(0, valid - a)
    votes = {1: a, 2: b, 3: valid - a - b}
    if bad:
        votes[1] += 800
    values = {"voters_dpt": voters, "voters_dptb": 0, "voters_dpk": 0, "valid": valid,
              "invalid": invalid, "ballots_received": 430, "ballots_used": voters,
              "ballots_unused": 430 - voters, "ballots_damaged": 0}
    return values, votes


def submit(tps, contest, user, world, rng, *, source="pemda", bad=False, reason=""):
    values, votes = entry(rng, tps.dpt_total, bad)
    return services.submit_result(tps, contest, actor=user, election=world.election,
                                  values=values, votes=votes, source=source, reason=reason,
                                  now=at(14, rng.randint(0, 59)))


def consistent(world):
    assert rollup.check(world.election) == []


# --- counters equal a from-scratch sum --------------------------------------------------------


def test_counters_equal_a_from_scratch_sum_after_a_random_day(world, users, contests):
    rng = random.Random(20241127)
    admin = users["admin"]
    tps = [world.tps_a, world.tps_a2, world.tps_b]
    for number in range(2, 6):  # more TPS in the same kelurahan: they share a counter
        tps.append(Tps.objects.create(election=world.election, kelurahan=world.kel_a,
                                      number=number, dpt_men=200, dpt_women=210))
    moves = {"pemda": 0, "correction": 0, "saksi": 0, "choose": 0, "status": 0}
    for _step in range(70):
        place, contest = rng.choice(tps), rng.choice(contests)
        current = TpsResult.objects.filter(tps=place, contest=contest, is_current=True)
        pemda = current.filter(source="pemda").first()
        move = rng.choice(list(moves))
        if move in ("pemda", "correction"):
            submit(place, contest, admin, world, rng, bad=rng.random() < 0.3,
                   reason="Dibetulkan sesuai foto." if pemda else "")
        elif move == "saksi":
            saksi = current.filter(source="saksi").first()
            submit(place, contest, admin, world, rng, source="saksi",
                   reason="Saksi mengirim ulang." if saksi else "")
        elif move == "choose":
            options = list(current)
            if not options:
                continue
            verify.choose(place, contest, rng.choice(options).pk, actor=admin,
                          reason="Sesuai foto C.Hasil.", now=at(16))
        else:  # a status change of the counted entry (e.g. marked verified in place)
            counted = TpsResult.objects.filter(tps=place, contest=contest,
                                               is_counted=True).first()
            if counted is None:
                continue
            before = rollup.snapshot(counted)
            counted.status = "tercatat" if counted.status == "perlu_verifikasi" \
                else "perlu_verifikasi"
            counted.save(update_fields=["status"])
            rollup.apply(before, counted)
        moves[move] += 1
        consistent(world)
    assert all(moves.values()), moves  # every kind of move happened
    assert TallyCounter.objects.filter(election=world.election).exists()
    assert rollup.check(world.election) == []


def test_rebuild_matches_and_check_names_a_drift(world, users, contests):
    rng = random.Random(7)
    for place in (world.tps_a, world.tps_a2, world.tps_b):
        for contest in contests:
            submit(place, contest, users["admin"], world, rng)
    def stored():
        return {(c.contest_id, c.kelurahan_id): (c.reported, c.valid,
                                                 {k: v for k, v in c.votes.items() if v})
                for c in TallyCounter.objects.all()}

    before = stored()
    TallyCounter.objects.filter(kelurahan_id=world.kel_a.code, contest=contests[0]).update(
        valid=1, votes={"1": 5})
    problems = rollup.check(world.election)
    assert {(p["kelurahan_id"], p["field"]) for p in problems} == {
        (world.kel_a.code, "valid"), (world.kel_a.code, "votes")}
    out = io.StringIO()
    with pytest.raises(Exception, match="2 differences"):
        call_command("tally_counters", "--check", stdout=out)
    call_command("tally_counters", "--rebuild", stdout=out)
    assert "Rebuilt 6 tally counters" in out.getvalue()
    assert stored() == before and rollup.check(world.election) == []


def test_apply_moves_the_counter_from_the_old_entry_to_the_new(world, users, contests):
    walikota = contests[0]
    admin = users["admin"]
    values = {"voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 300, "invalid": 8,
              "ballots_received": 420, "ballots_used": 308, "ballots_unused": 110,
              "ballots_damaged": 2}
    services.submit_result(world.tps_a, walikota, actor=admin, election=world.election,
                           values=values, votes={1: 817, 2: 100, 3: 80}, now=at(14))
    counter = TallyCounter.objects.get(kelurahan_id=world.kel_a.code, contest=walikota)
    assert (counter.reported, counter.to_verify, counter.voters, counter.valid,
            counter.dpt_reported, counter.votes) == (1, 1, 308, 300, 410,
                                                     {"1": 817, "2": 100, "3": 80})
    services.submit_result(world.tps_a, walikota, actor=admin, election=world.election,
                           values=values, votes={1: 120, 2: 100, 3: 80}, now=at(15),
                           reason="Salah ketik 817 → 120.")
    counter.refresh_from_db()
    assert (counter.reported, counter.to_verify, counter.votes) == (
        1, 0, {"1": 120, "2": 100, "3": 80})
    # a witness entry is not counted: the counter does not move
    services.submit_result(world.tps_a, walikota, actor=admin, election=world.election,
                           values=values, votes={1: 100, 2: 120, 3: 80}, now=at(15),
                           source="saksi")
    counter.refresh_from_db()
    assert counter.votes == {"1": 120, "2": 100, "3": 80}


# --- concurrency (PostgreSQL) -----------------------------------------------------------------


def _in_threads(count, work):
    barrier, errors = threading.Barrier(count), []

    def run(index):
        try:
            barrier.wait(timeout=10)
            work(index)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_applies_lose_no_update_on_postgresql(world, contests):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    walikota = contests[0]
    side = {"election_id": world.election.pk, "contest_id": walikota.pk,
            "kecamatan_id": world.kec_a.code, "kelurahan_id": world.kel_a.code,
            "reported": 1, "to_verify": 0, "dpt_reported": 400, "voters": 300, "valid": 290,
            "invalid": 10, "votes": {"1": 100, "2": 90, "3": 100}}

    def work(index):
        for _n in range(20):  # the first ones race to create the row
            rollup.apply(None, {**side, "votes": {**side["votes"], str(index + 1): 101}})

    _in_threads(4, work)
    counter = TallyCounter.objects.get(contest=walikota, kelurahan_id=world.kel_a.code)
    assert (counter.reported, counter.valid, counter.voters) == (80, 80 * 290, 80 * 300)
    assert counter.votes == {"1": 20 * 101 + 60 * 100, "2": 20 * 101 + 60 * 90,
                             "3": 20 * 101 + 60 * 100, "4": 20 * 101}


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_in_one_kelurahan_lose_nothing(world, users, contests):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    places = [Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=n,
                                 dpt_men=200, dpt_women=210) for n in range(2, 6)]

    def work(index):
        rng = random.Random(index)
        for contest in contests:
            submit(places[index], contest, users["admin"], world, rng)
            submit(places[index], contest, users["admin"], world, rng, reason="Koreksi.")

    _in_threads(4, work)
    assert rollup.check(world.election) == []
    assert TallyCounter.objects.get(contest=contests[0], kelurahan_id=world.kel_a.code) \
        .reported == 4


# --- the tally page -----------------------------------------------------------------------------


def test_the_tally_shows_progress_verified_and_the_label(world, users, contests, personas):
    rng = random.Random(3)
    walikota = contests[0]
    submit(world.tps_a, walikota, users["admin"], world, rng)
    submit(world.tps_b, walikota, users["admin"], world, rng, bad=True)
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = admin.get(reverse("voting:tally") + f"?contest={walikota.pk}")
    total = page.context["total"]
    assert (total["tps"], total["reported"], total["verified"], total["to_verify"]) == (3, 2, 1, 1)
    assert (total["reported_percent"], total["verified_percent"]) == (66.7, 33.3)
    text = page.content.decode()
    assert "Internal quick count — not the official result." in text
    assert "Progress: 66.7 % of TPS in, 33.3 % verified." in text
    assert f"{reverse('voting:tally_pdf')}?contest={walikota.pk}" in text
    kelurahan = admin.get(reverse("voting:tally") + f"?contest={walikota.pk}"
                          f"&kelurahan={world.kel_a.code}").context
    assert [r["entry"]["reported"] for r in kelurahan["rows"]] == [1]


@pytest.mark.parametrize("where", ["pemda", "kecamatan", "kelurahan"])
def test_the_tally_runs_a_fixed_number_of_queries_at_each_level(world, users, contests,
                                                                personas, where):
    rng = random.Random(5)
    admin, gubernur = personas["admin"].client, contests[1]
    place = {"pemda": "", "kecamatan": f"&kecamatan={world.kec_a.code}",
             "kelurahan": f"&kelurahan={world.kel_a.code}"}[where]
    url = reverse("voting:tally") + f"?contest={gubernur.pk}{place}"
    submit(world.tps_a, gubernur, users["admin"], world, rng)
    admin.get(url)  # the per-process constants
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    for number in range(2, 8):
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=number,
                                 dpt_men=200, dpt_women=210)
        submit(tps, gubernur, users["admin"], world, rng)
    with CaptureQueriesContext(connection) as many:
        page = admin.get(url)
    assert page.context["total"]["reported"] == 7
    assert len(many) == len(few)


# --- PDF and the daily-report section -------------------------------------------------------------


def _pdf_text(content: bytes) -> str:
    return pdf_text(content)


def test_the_wali_kota_pdf_has_the_letterhead_and_each_contest(world, users, contests, personas):
    rng = random.Random(11)
    for contest in contests:
        submit(world.tps_a, contest, users["admin"], world, rng)
    submit(world.tps_b, contests[0], users["admin"], world, rng, bad=True)
    admin = personas["admin"].client
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = admin.get(reverse("voting:tally_pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "PEMERINTAH KOTA MALANG" in text.upper()
    assert "Wali Kota Malang" in text and "Gubernur Jawa Timur" in text
    assert "Internal quick count" in text and "Klojen" in text
    assert "2 of 3 TPS in" in text and "1 to verify" in text
    one = admin.get(reverse("voting:tally_pdf") + f"?contest={contests[1].pk}")
    assert "Wali Kota Malang" not in _pdf_text(one.content)
    assert admin.get(reverse("voting:tally_pdf") + "?contest=999999").status_code == 404
    # a lurah's PDF holds its kelurahan only
    lurah = personas["kelurahan_b"].client
    lurah.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    mine = _pdf_text(lurah.get(reverse("voting:tally_pdf") + f"?contest={contests[0].pk}")
                     .content)
    assert "1 of 1 TPS in" in mine and "Klojen" not in mine


def test_the_daily_report_section_counts_states_and_results(world, users, contests):
    rng = random.Random(13)
    admin = users["admin"]
    services.record_report(world.tps_a, actor=admin, election=world.election, state="dibuka",
                           happened_at=at(7), now=at(7))
    submit(world.tps_a, contests[0], admin, world, rng)
    submit(world.tps_b, contests[0], admin, world, rng, bad=True)
    assert "voting.day" in [spec.key for spec in registered_sections()]
    assert voting_section(VOTING_DAY - datetime.timedelta(days=3), admin, world.election) is None
    section = voting_section(VOTING_DAY, admin, world.election)
    states = {row[0]: row[1] for row in section.tables[0].rows}
    assert (states["Opened"], states["Not reported"], states["Total"]) == (1, 2, 3)
    summary = [p for p in section.paragraphs if p.startswith("Wali Kota Malang")][0]
    assert "2 of 3 TPS in (66,7 %), 1 verified (33,3 %), 1 to verify" in summary
    table = [t for t in section.tables if t.caption.startswith("Wali Kota Malang")][0]
    pairs = table.rows
    assert sum(row[2] for row in pairs) == sum(
        sum(c.votes.values()) for c in TallyCounter.objects.filter(contest=contests[0])) > 0
    assert pairs[0][2] >= pairs[1][2] >= pairs[2][2]  # the leading pair first
    report = build_report(VOTING_DAY, admin, world.election, "Laporan", keys=["voting.day"])
    assert [s.title for s in report.sections] == ["Voting day and results"]


# --- the board's map -----------------------------------------------------------------------------


def test_the_map_data_is_scoped_with_etag_and_says_tps_without_coordinates(world, users,
                                                                           personas):
    Tps.objects.filter(pk=world.tps_a.pk).update(latitude=Decimal("-7.98"),
                                                  longitude=Decimal("112.63"))
    Tps.objects.filter(pk=world.tps_b.pk).update(latitude=Decimal("-7.95"),
                                                  longitude=Decimal("112.65"))
    services.record_report(world.tps_a, actor=users["admin"], election=world.election,
                           state="dibuka", happened_at=at(7), now=at(7))
    admin = personas["admin"].client
    url = reverse("voting:board_map")
    first = admin.get(url)
    data = first.json()
    assert {p[0]: p[3] for p in data["points"]} == {world.tps_a.pk: 2, world.tps_b.pk: 0}
    assert data["states"][2]["code"] == "dibuka" and data["without_coordinates"] == 1
    assert data["count"] == 3  # tps_a2 has none; Batu's TPS is another Pemda's
    with CaptureQueriesContext(connection) as queries:
        again = admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and len(queries) <= 5
    services.record_report(world.tps_a, actor=users["admin"], election=world.election,
                           state="pemungutan", happened_at=at(8), now=at(8))
    moved = admin.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert moved.status_code == 200 and moved.json()["points"][0][3] == 3
    # a lurah sees its kelurahan's TPS only; another kelurahan is a 404
    lurah = personas["kelurahan_b"].client
    lurah.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert [p[0] for p in lurah.get(url).json()["points"]] == [world.tps_b.pk]
    assert lurah.get(url + f"?kelurahan={world.kel_a.code}").status_code == 404
    assert lurah.get(reverse("voting:board_map_tps", args=[world.tps_a.pk])).status_code == 404
    popup = lurah.get(reverse("voting:board_map_tps", args=[world.tps_b.pk])).content.decode()
    assert "TPS 001" in popup and "Not reported" in popup
    kecamatan = admin.get(url + f"?kecamatan={world.kec_b.code}").json()
    assert [p[0] for p in kecamatan["points"]] == [world.tps_b.pk]
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    board = admin.get(reverse("voting:board")).content.decode()
    assert "1 TPS has no coordinates and is not on the map" in board
    assert 'data-map="board-map"' in board
