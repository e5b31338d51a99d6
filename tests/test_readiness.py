"""Readiness index (issue 17): the index and the forecast against hand-computed cases, the
stored rows and their roll-ups, the pages (scope, bad input, absent components) and the
one-click Desk task."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation

from posko.core import audit
from posko.core import readiness as registry
from posko.readiness.models import ReadinessSettings, Snapshot, TpsIndex
from posko.readiness.services import compute, rollups
from posko.readiness.services.forecast import forecast, project
from posko.readiness.services.index import combine, weakest

D = datetime.date


# --- pure arithmetic ------------------------------------------------------------------------

def test_index_is_the_weighted_average_of_the_components_present():
    weights = {"a": 30, "b": 20, "c": 10}
    # (30*0.5 + 20*1.0) / (30 + 20) = 35/50: c has no value and is left out of both sums
    assert combine({"a": 0.5, "b": 1.0, "c": None}, weights) == 0.7
    # (30*0.5 + 20*1.0 + 10*0.1) / 60 = 36/60
    assert combine({"a": 0.5, "b": 1.0, "c": 0.1}, weights) == 0.6
    assert combine({"a": None}, weights) is None
    assert combine({"x": 1.0}, weights) is None  # a weight of 0 (unknown) does not count
    assert combine({"a": 0.2, "b": 0.2}, {"a": 0, "b": 5}) == 0.2


def test_the_missing_component_is_the_lowest_below_the_threshold():
    weights = {"a": 30, "b": 20, "c": 10}
    assert weakest({"a": 0.4, "b": 0.3, "c": 0.9}, weights, 0.5, 0.5, 0.8) == "b"
    # ties: the heavier weight is named
    assert weakest({"a": 0.3, "b": 0.3}, weights, 0.5, 0.3, 0.8) == "a"
    # none below 0.5 but the index short of 0.8: the lowest below 1
    assert weakest({"a": 0.6, "b": 1.0}, weights, 0.5, 0.76, 0.8) == "a"
    assert weakest({"a": 0.9, "b": 1.0}, weights, 0.5, 0.94, 0.8) == ""


def test_forecast_extrapolates_the_rate_over_the_days_left():
    today, target = D(2024, 11, 24), D(2024, 11, 26)  # H-3, H-1: two days left
    history = {D(2024, 11, 21): {"log": 0.2, "staff": 1.0},
               D(2024, 11, 23): {"log": 0.4, "staff": 1.0},
               D(2024, 11, 24): {"log": 0.5, "staff": 1.0}}
    parts = {p.key: p for p in project(history, today, target, window=3)}
    # log: (0.5 - 0.2) / 3 days = 0.1/day; 0.5 + 0.1 * 2 = 0.7
    assert parts["log"].rate == 0.1 and parts["log"].projected == 0.7
    assert parts["staff"].projected == 1.0
    # index: (30*0.7 + 10*1.0) / 40 = 0.775 < 0.8 -> not ready; the slowest is named
    f = forecast(7, history, today, target, 3, {"log": 30, "staff": 10}, 0.8)
    assert f.projected == 0.775 and not f.ready and f.slowest.key == "log"
    assert f.index_now == 0.625 and f.days_left == 2  # (15 + 10) / 40
    # with staff weighted more the same progress reaches 0.8: (10*0.7 + 30*1.0) / 40 = 0.925
    assert forecast(7, history, today, target, 3, {"log": 10, "staff": 30}, 0.8).ready


def test_forecast_window_and_no_backwards_progress():
    today, target = D(2024, 11, 24), D(2024, 11, 26)
    history = {D(2024, 11, 20): {"log": 0.0}, D(2024, 11, 22): {"log": 0.6},
               D(2024, 11, 24): {"log": 0.5}}
    # window 3: the base is 22 Nov (20 Nov is 4 days back); 0.6 -> 0.5 is no progress
    assert project(history, today, target, 3)[0].projected == 0.5
    # window 5: the base is 20 Nov: 0.5 / 4 = 0.125/day -> 0.75
    assert project(history, today, target, 5)[0].projected == 0.75
    # no earlier day: rate 0
    assert project({today: {"log": 0.3}}, today, target, 3)[0].projected == 0.3


# --- stored rows ----------------------------------------------------------------------------

@pytest.fixture
def fake_components(monkeypatch, world):
    """Two hand-set components in place of the modules' own."""
    values = {
        "log": {world.tps_a.pk: (0.5, "half received"), world.tps_a2.pk: (1.0, "all"),
                world.tps_b.pk: (0.2, "little")},
        "staff": {world.tps_a.pk: (1.0, "7 of 7"), world.tps_b.pk: (0.0, "nobody")},
    }
    monkeypatch.setattr(registry, "_components", {})
    registry.register_component("log", "Logistics", "Dinkes", 30,
                                lambda election, ids: dict(values["log"]), order=1)
    registry.register_component("staff", "Staffing", "Dinkes", 10,
                                lambda election, ids: dict(values["staff"]), order=2)
    return values


def test_refresh_stores_components_and_index(world, fake_components):
    compute.refresh(world.election)
    rows = {r.tps_id: r for r in TpsIndex.objects.all()}
    # tps_a: (30*0.5 + 10*1.0) / 40 = 0.625; missing: none below 0.5, index < 0.8 -> log
    assert rows[world.tps_a.pk].index == 0.625 and rows[world.tps_a.pk].missing == "log"
    assert rows[world.tps_a.pk].components["log"] == [0.5, "half received"]
    assert rows[world.tps_a2.pk].index == 1.0 and rows[world.tps_a2.pk].missing == ""
    # tps_b: (30*0.2 + 0) / 40 = 0.15; both below 0.5, staff (0.0) is the lowest
    assert rows[world.tps_b.pk].index == 0.15 and rows[world.tps_b.pk].missing == "staff"
    assert rows[world.tps_outside.pk].index is None  # no component has data
    # one component for one TPS: the other component's stored value is kept
    fake_components["log"][world.tps_a.pk] = (0.9, "nearly")
    compute.refresh(world.election, keys=["log"], tps_ids=[world.tps_a.pk])
    row = TpsIndex.objects.get(tps=world.tps_a)
    assert row.index == 0.925 and row.components["staff"] == [1.0, "7 of 7"]  # (27+10)/40
    assert TpsIndex.objects.get(tps=world.tps_b).index == 0.15


def test_component_changed_recomputes_through_the_fanout(world, fake_components):
    compute.refresh(world.election)
    fake_components["staff"][world.tps_b.pk] = (1.0, "7 of 7")
    registry.changed("staff", world.election, [world.tps_b.pk])  # inline in tests
    assert TpsIndex.objects.get(tps=world.tps_b).index == 0.4  # (6 + 10) / 40


def test_rollups_per_kecamatan_and_pemda(world, fake_components):
    compute.refresh(world.election)
    qs = TpsIndex.objects.filter(election=world.election)
    total = rollups.rollup(qs, 0.8, None)[0]
    assert (total.tps, total.with_index, total.ready) == (4, 3, 1)
    groups = {g.code: g for g in rollups.rollup(qs, 0.8, "kecamatan")}
    assert groups[world.kec_a.code].ready == 1 and groups[world.kec_a.code].not_ready == 1
    assert groups[world.kec_a.code].average == pytest.approx((0.625 + 1.0) / 2)
    assert [r.tps_id for r in rollups.least_ready(qs)] == [
        world.tps_b.pk, world.tps_a.pk, world.tps_a2.pk]


def test_forecast_at_h3_compared_with_h1(world, fake_components):
    election = world.election  # voting 27 Nov: H-3 = 24 Nov, H-1 = 26 Nov
    compute.refresh(election)
    place = {"election": election, "kabkota_id": "35.73"}

    def snap(tps, day, log, staff):
        comps = {"log": [log, ""], **({"staff": [staff, ""]} if staff is not None else {})}
        Snapshot.objects.create(tps=tps, day=day, kecamatan_id=tps.kecamatan_id,
                                kelurahan_id=tps.kelurahan_id, index=combine(
                                    {"log": log, "staff": staff}, {"log": 30, "staff": 10}),
                                components=comps, **place)

    # tps_a: log 0.2 -> 0.5 over 3 days: 0.1/day -> 0.7 at H-1; staff 1.0: (21+10)/40 = 0.775
    snap(world.tps_a, D(2024, 11, 21), 0.2, 1.0)
    snap(world.tps_a, D(2024, 11, 24), 0.5, 1.0)
    # tps_b: log 0.4 -> 0.7: 0.1/day -> 0.9; staff 1.0: (27+10)/40 = 0.925: forecast ready
    snap(world.tps_b, D(2024, 11, 21), 0.4, 1.0)
    snap(world.tps_b, D(2024, 11, 24), 0.7, 1.0)
    # what happened at H-1: tps_a reached 1.0 (forecast wrong), tps_b 0.9 -> 0.925 (right)
    snap(world.tps_a, D(2024, 11, 26), 1.0, 1.0)
    snap(world.tps_b, D(2024, 11, 26), 0.9, 1.0)
    qs = TpsIndex.objects.filter(election=election)
    view = rollups.forecasts(qs, election, D(2024, 11, 24))
    by_tps = {f.tps_id: f for f in view.forecasts}
    assert by_tps[world.tps_a.pk].projected == 0.775 and not by_tps[world.tps_a.pk].ready
    assert by_tps[world.tps_b.pk].projected == 0.925 and by_tps[world.tps_b.pk].ready
    compare = rollups.comparison(qs, election)
    assert (compare.ready_ready, compare.ready_not, compare.not_ready, compare.not_not) == (
        1, 0, 1, 0)
    assert compare.correct == 1 and [f.tps_id for f, _i in compare.wrong] == [world.tps_a.pk]


def test_snapshot_copies_the_stored_rows(world, fake_components):
    compute.refresh(world.election)
    assert compute.take_snapshot(world.election, D(2024, 11, 20)) == 4
    assert compute.take_snapshot(world.election, D(2024, 11, 20)) == 4  # replaced, not doubled
    assert Snapshot.objects.filter(day=D(2024, 11, 20)).count() == 4


def test_the_modules_components_run_on_an_empty_election(world):
    """The real components (logistics, workers, vulnerability, outreach, tasks, incidents)
    compute without data: TPS without a problem count as ready where the module says so."""
    compute.refresh(world.election)
    row = TpsIndex.objects.get(tps=world.tps_a)
    assert row.components.get("tasks", [None])[0] == 1.0
    assert row.components.get("incidents", [None])[0] == 1.0
    assert "logistics" not in row.components  # no requirement: no data, not 0


# --- pages ----------------------------------------------------------------------------------

def english(personas):
    """The pages in English (the assertions read the msgids)."""
    for persona in personas.values():
        persona.client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"


def test_overview_components_first_scope_and_queries(world, personas, fake_components,
                                                     django_assert_max_num_queries):
    compute.refresh(world.election)
    english(personas)
    with translation.override("en"), django_assert_max_num_queries(20):
        page = personas["admin"].client.get(reverse("readiness:overview"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index('data-testid="components"') < html.index('data-testid="total"')
    assert "1 of 3 TPS ready" in html and "half received" in html
    # component averages: log (0.5 + 1.0 + 0.2) / 3, staff (1.0 + 0.0) / 2
    averages = rollups.component_averages(TpsIndex.objects.all(), ["log", "staff", "none"])
    assert averages["log"] == pytest.approx(0.5667, abs=1e-3) and averages["staff"] == 0.5
    assert averages["none"] is None
    # kelurahan B's operator sees only TPS B
    html_b = personas["kelurahan_b"].client.get(reverse("readiness:overview")).content.decode()
    assert "little" in html_b and "half received" not in html_b
    assert personas["anonymous"].client.get(reverse("readiness:overview")).status_code == 302


def test_pages_render_without_any_component(world, personas, monkeypatch):
    monkeypatch.setattr(registry, "_components", {})
    compute.refresh(world.election)
    english(personas)
    for name in ("readiness:overview", "readiness:forecast", "readiness:settings"):
        assert personas["admin"].client.get(reverse(name)).status_code == 200
    with translation.override("en"):
        html = personas["admin"].client.get(reverse("readiness:overview")).content.decode()
    assert "No module contributes a readiness component" in html


def test_one_click_task_goes_to_the_owner_agency(world, personas, fake_components):
    from posko.core import tasks

    if not tasks.available():
        pytest.skip("coordination module absent")
    compute.refresh(world.election)
    url = reverse("readiness:tps_task", args=[world.tps_b.pk])
    response = personas["admin"].client.post(url, {"component": "staff"})
    assert response.status_code == 302
    source = f"readiness.tps:{world.tps_b.pk}:staff"
    refs = tasks.tasks_for([source])[source]
    assert len(refs) == 1 and refs[0].agency == "Dinkes"
    personas["admin"].client.post(url, {"component": "staff"})  # not a second one
    assert len(tasks.tasks_for([source])[source]) == 1
    # another region's TPS: 404; a kelurahan operator may not create: 403
    assert personas["kecamatan_a"].client.post(url, {"component": "staff"}).status_code == 404
    assert personas["kelurahan_b"].client.post(url, {"component": "staff"}).status_code == 403
    # an unknown component: an error, no task
    response = personas["admin"].client.post(url, {"component": "nope"}, follow=True)
    assert b"not part of the readiness index" in response.content or response.status_code == 200
    assert not tasks.tasks_for([f"readiness.tps:{world.tps_b.pk}:nope"])


def test_settings_bad_input_saves_nothing_and_good_input_is_versioned(
        world, personas, fake_components, django_capture_on_commit_callbacks):
    compute.refresh(world.election)
    url = reverse("readiness:settings")
    english(personas)
    settings = ReadinessSettings.for_election(world.election)
    bad = {"weight_log": "abc", "weight_staff": "10", "ready_threshold": "1.5",
           "component_threshold": "0.5", "forecast_window": "3", "version": settings.version}
    with translation.override("en"):
        response = personas["admin"].client.post(url, bad)
    assert response.status_code == 400
    assert b"whole number from 0 to 100" in response.content and b"between 0 and 1" in response.content
    settings.refresh_from_db()
    assert settings.version == 1 and settings.weights == {}
    assert personas["kecamatan_a"].client.post(url, bad).status_code == 403
    good = {**bad, "weight_log": "10", "weight_staff": "30", "ready_threshold": "0.60"}
    with django_capture_on_commit_callbacks(execute=True):
        assert personas["admin"].client.post(url, good).status_code == 302
    settings.refresh_from_db()
    assert settings.version == 2 and settings.weights == {"log": 10, "staff": 30}
    assert audit.history(settings).count() == 1
    # re-evaluated from the stored values (the job runs at once in tests):
    # tps_a (10*0.5 + 30*1.0) / 40 = 0.875
    assert TpsIndex.objects.get(tps=world.tps_a).index == 0.875
    # a stale version: a conflict, nothing saved
    stale = {**good, "weight_log": "50", "version": 1}
    assert personas["admin"].client.post(url, stale).status_code == 400
    settings.refresh_from_db()
    assert settings.weights == {"log": 10, "staff": 30}


def test_api_lists_the_index_least_ready_first_in_scope(world, personas, fake_components):
    compute.refresh(world.election)
    data = personas["admin"].client.get("/api/v1/readiness/tps/").json()
    assert [r["tps"] for r in data["results"]][:3] == [world.tps_b.pk, world.tps_a.pk,
                                                       world.tps_a2.pk]
    first = data["results"][0]
    assert first["index"] == 0.15 and first["missing"] == "staff"
    assert first["components"]["staff"] == [0.0, "nobody"]
    mine = personas["kelurahan_b"].client.get("/api/v1/readiness/tps/").json()
    assert [r["tps"] for r in mine["results"]] == [world.tps_b.pk]
    other = personas["kelurahan_b"].client.get(f"/api/v1/readiness/tps/{world.tps_a.pk}/")
    assert other.status_code == 404
