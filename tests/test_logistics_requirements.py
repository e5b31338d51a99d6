"""Logistics requirements: the arithmetic against hand-computed values, the default
catalogue, recompute on norm changes and on TPS edits, the catalogue pages, the
requirement pages (per TPS and per region, with exports) and the settings page."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.core import audit
from posko.core.models import AuditEntry
from posko.elections import services as election_services
from posko.elections.models import Contest, Tps
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import catalogue, readiness, requirements
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Provinsi
from tests.conftest import SEES_KEL_A, SEES_KEL_B

pytestmark = pytest.mark.django_db


def _contests(world):
    jatim = Provinsi.objects.get(code="35")
    Contest.objects.create(election=world.election, name="Gubernur Jawa Timur", level="gubernur",
                           provinsi=jatim)
    Contest.objects.create(election=world.election, name="Wali Kota Malang", level="walikota",
                           provinsi=jatim, kabkota=KabKota.objects.get(code="35.73"))


@pytest.fixture
def logistics(world, users):
    """The world with its two contests and the default catalogue installed."""
    _contests(world)
    catalogue.install_defaults(world.election, actor=users["admin"])
    return world


def _set_dpt(tps, total):
    Tps.objects.filter(pk=tps.pk).update(dpt_men=total // 2, dpt_women=total - total // 2)


def _required(tps, code):
    return Requirement.objects.get(tps=tps, item__code=code).quantity


# --- arithmetic ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("dpt", "expected"), [
    (410, 421),  # 420.25 → 421
    (400, 410),  # exactly 410
    (599, 614),  # 613.975 → 614
    (600, 615),
    (0, 0),
    (1, 2),  # 1.025 → 2
])
def test_ballots_required_rounds_the_reserve_up(dpt, expected):
    assert requirements.ballots_required(dpt, Decimal("2.5")) == expected


def test_reserve_factor_is_exact():
    assert requirements.reserve_factor(Decimal("2.5")) == 10_250
    assert requirements.reserve_factor(Decimal("0")) == 10_000
    assert requirements.reserve_factor(Decimal("2.25")) == 10_225
    with pytest.raises(ValueError):
        requirements.reserve_factor(Decimal("2.255"))


def test_requirements_two_contests_and_another_kabkota(world, users):
    """Kota Malang TPS vote in two contests; a TPS in Kota Batu only for the governor."""
    _contests(world)
    for tps, dpt in ((world.tps_a, 410), (world.tps_a2, 400), (world.tps_b, 599),
                     (world.tps_outside, 410)):
        _set_dpt(tps, dpt)
    catalogue.install_defaults(world.election, actor=users["admin"])
    # One ballots line per contest, named with the contest (issue 15: a shortfall must say
    # which contest is short).
    for tps, per_contest in ((world.tps_a, 421), (world.tps_a2, 410), (world.tps_b, 614)):
        assert _required(tps, "surat-suara-gubernur") == per_contest
        assert _required(tps, "surat-suara-walikota") == per_contest
    assert _required(world.tps_outside, "surat-suara-gubernur") == 421  # governor only
    assert not Requirement.objects.filter(tps=world.tps_outside,
                                          item__code="surat-suara-walikota").exists()
    assert Item.objects.get(code="surat-suara-walikota").name == "Surat suara Wali Kota Malang"
    assert Item.objects.get(code="formulir-c-hasil-gubernur").name == (
        "Formulir Model C.Hasil-KWK Gubernur Jawa Timur")
    assert not Item.objects.filter(code__in=["surat-suara", "formulir-c-hasil"]).exists()
    assert _required(world.tps_a, "kotak-suara") == 2
    assert _required(world.tps_outside, "kotak-suara") == 1
    assert _required(world.tps_a, "bilik-suara") == 4
    assert _required(world.tps_outside, "bilik-suara") == 4
    assert _required(world.tps_a, "tinta") == 2
    assert _required(world.tps_a, "template-braille") == 2
    assert _required(world.tps_a, "formulir-c-hasil-walikota") == 1
    assert _required(world.tps_a, "formulir-c-hasil-gubernur") == 1
    assert _required(world.tps_a, "salinan-dpt") == 1
    assert _required(world.tps_a, "perlengkapan-kpps") == 1
    # A Kota Malang TPS has 14 rows (10 shared items + 2 lines × 2 contests), the Kota Batu
    # TPS 12 (the governor's lines only), each with its kecamatan and kelurahan copied.
    assert Requirement.objects.count() == 3 * 14 + 12
    row = Requirement.objects.get(tps=world.tps_b, item__code="segel")
    assert (row.kecamatan_id, row.kelurahan_id, row.quantity) == ("35.73.01", "35.73.01.1001", 20)


def test_sql_matches_the_python_arithmetic(world, users):
    _contests(world)
    election = world.election
    election.ballot_reserve_percent = Decimal("2.25")
    election.save()
    for i, dpt in enumerate((0, 1, 299, 300, 301, 577)):
        Tps.objects.create(election=election, kelurahan=world.kel_a, number=10 + i,
                           dpt_men=dpt // 2, dpt_women=dpt - dpt // 2)
    Item.objects.create(election=election, code="c-pemberitahuan", name="C.Pemberitahuan",
                        norm=Item.Norm.PER_VOTERS, quantity=2, voters_per_block=300)
    Item.objects.create(election=election, code="zero-block", name="Zero block",
                        norm=Item.Norm.PER_VOTERS, quantity=1, voters_per_block=0)
    catalogue.install_defaults(election, actor=users["admin"])  # computes its own items only
    assert not Requirement.objects.filter(item__code="zero-block").exists()
    requirements.recompute(election)
    want = requirements.expected(election)
    got = {(r.tps_id, r.item_id): r.quantity for r in Requirement.objects.all()}
    assert got == want
    count = requirements.contest_counter(election)
    shared = [i for i in Item.objects.filter(election=election) if i.contest_id is None]
    assert all(want[(t.pk, i.pk)] == requirements.required_quantity(
        i, t.dpt_total, count(t.kabkota_id), election.ballot_reserve_percent)
        for t in Tps.objects.filter(election=election) for i in shared)
    notice = Item.objects.get(code="c-pemberitahuan").pk
    tps = Tps.objects.get(election=election, number=12)  # DPT 299: 1 block of 300
    assert got[(tps.pk, notice)] == 2
    tps = Tps.objects.get(election=election, number=14)  # DPT 301: 2 blocks
    assert got[(tps.pk, notice)] == 4
    # 577 × 1.0225 = 589.9825 → 590 for each contest's own line
    tps = Tps.objects.get(election=election, number=15)
    assert got[(tps.pk, Item.objects.get(code="surat-suara-walikota").pk)] == 590
    assert got[(tps.pk, Item.objects.get(code="surat-suara-gubernur").pk)] == 590


def test_no_catalogue_no_rows(world, users):
    assert requirements.recompute(world.election) == 0
    assert not Requirement.objects.exists() and not TpsReadiness.objects.exists()


def test_recompute_changing_nothing_writes_nothing(logistics, users):
    assert requirements.recompute(logistics.election) == 0
    assert Requirement.objects.count() == 3 * 14 + 12


def test_kota_malang_like_sums(logistics, personas):
    """Sums on the world: 2 boxes × 3 Kota Malang TPS; ballots = Σ ceil(DPT × 1.025) × 2."""
    per_tps = requirements.ballots_required(410, Decimal("2.5"))  # every world TPS has 410
    assert per_tps == 421
    response = personas["admin"].client.get(reverse("logistics:requirement_summary"))
    assert response.status_code == 200
    totals = {row["item"].code: row["total"] for row in response.context["item_totals"]}
    assert totals["kotak-suara"] == 2 * 3
    assert totals["surat-suara-walikota"] == totals["surat-suara-gubernur"] == 3 * 421
    assert totals["bilik-suara"] == 4 * 3
    assert totals["segel"] == 20 * 3
    rows = {row["code"]: row for row in response.context["rows"]}
    assert set(rows) == {"35.73.01", "35.73.02"}  # Kota Batu's TPS is not the Pemda's
    assert rows["35.73.02"]["tps"] == 2 and rows["35.73.02"]["dpt"] == 820
    assert rows["35.73.02"]["quantities"][0] == 2 * 421  # the governor's ballots first


# --- recompute on change ------------------------------------------------------------------------

def test_norm_change_recomputes_in_the_same_transaction(logistics, users):
    item = Item.objects.get(election=logistics.election, code="bilik-suara")
    before = audit.snapshot(item)
    item.quantity = 5
    catalogue.update_item(item, actor=users["admin"], before=before)
    assert set(Requirement.objects.filter(item=item).values_list("quantity", flat=True)) == {5}
    entry = AuditEntry.objects.filter(object_id=str(item.pk), action="update").latest("pk")
    assert entry.before["quantity"] == 4 and entry.after["quantity"] == 5

    item.norm, item.quantity = Item.Norm.PER_CONTEST, 1
    catalogue.update_item(item, actor=users["admin"], before=audit.snapshot(
        Item.objects.get(pk=item.pk)))
    assert _required(logistics.tps_a, "bilik-suara") == 2
    assert _required(logistics.tps_outside, "bilik-suara") == 1

    item.is_active = False
    catalogue.update_item(item, actor=users["admin"], before=audit.snapshot(
        Item.objects.get(pk=item.pk)))
    assert not Requirement.objects.filter(item=item).exists()
    units = TpsReadiness.objects.get(tps=logistics.tps_a).required_units
    assert units == sum(Requirement.objects.filter(tps=logistics.tps_a).values_list(
        "quantity", flat=True))


def test_renaming_an_item_does_not_recompute(logistics, users):
    item = Item.objects.get(election=logistics.election, code="tinta")
    before = audit.snapshot(item)
    item.name = "Tinta sidik jari (botol)"
    with CaptureQueriesContext(connection) as captured:
        catalogue.update_item(item, actor=users["admin"], before=before)
    assert not any("logistics_requirement" in q["sql"] for q in captured.captured_queries)


def test_failed_recompute_rolls_the_norm_back(logistics, users, monkeypatch):
    item = Item.objects.get(election=logistics.election, code="tinta")
    before = audit.snapshot(item)
    item.quantity = 3

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(requirements, "recompute", broken)
    with pytest.raises(RuntimeError):
        catalogue.update_item(item, actor=users["admin"], before=before)
    assert Item.objects.get(pk=item.pk).quantity == 2
    assert not AuditEntry.objects.filter(object_id=str(item.pk), action="update").exists()


def test_tps_dpt_edit_recomputes_that_tps(logistics, users):
    tps = Tps.objects.get(pk=logistics.tps_a.pk)
    other_before = _required(logistics.tps_b, "surat-suara-walikota")
    before = audit.snapshot(tps)
    tps.dpt_men, tps.dpt_women = 300, 299  # 599 → 614 per contest
    election_services.update_tps(tps, actor=users["admin"], before=before)
    assert _required(tps, "surat-suara-walikota") == 614
    assert _required(tps, "surat-suara-gubernur") == 614
    assert _required(logistics.tps_b, "surat-suara-walikota") == other_before
    readiness_row = TpsReadiness.objects.get(tps=tps)
    assert readiness_row.required_units == sum(
        Requirement.objects.filter(tps=tps).values_list("quantity", flat=True))


def test_new_tps_gets_requirements(logistics, users):
    tps = Tps(election=logistics.election, kelurahan=logistics.kel_b, number=2, dpt_men=200,
              dpt_women=200)
    election_services.create_tps(tps, actor=users["admin"])
    assert _required(tps, "surat-suara-walikota") == _required(tps, "surat-suara-gubernur") == 410
    assert TpsReadiness.objects.get(tps=tps).state == TpsReadiness.State.BELUM


def test_install_defaults_is_idempotent_and_audited(world, users):
    _contests(world)
    assert catalogue.install_defaults(world.election, actor=users["admin"]) == 14
    item = Item.objects.get(election=world.election, code="segel")
    item.quantity = 30
    item.save()
    Item.objects.filter(code="tinta").delete()
    assert catalogue.install_defaults(world.election, actor=users["admin"]) == 1
    assert Item.objects.get(pk=item.pk).quantity == 30  # an edited item is left alone
    assert Item.objects.filter(election=world.election).count() == 14
    assert AuditEntry.objects.filter(action="create", content_type__model="item").count() == 15


def test_item_rules(logistics, users):
    item = Item(election=logistics.election, code="tinta", name="Tinta lagi", norm=Item.Norm.PER_VOTERS,
                quantity=0)
    with pytest.raises(Exception) as exc:
        catalogue.create_item(item, actor=users["admin"])
    errors = exc.value.message_dict
    assert set(errors) == {"code", "quantity", "voters_per_block"}
    assert Item.objects.filter(election=logistics.election).count() == 14


# --- pages: catalogue -----------------------------------------------------------------------------

def test_item_list_for_every_persona(logistics, personas):
    url = reverse("logistics:item_list")
    for name, persona in personas.items():
        response = persona.client.get(url)
        if name == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/")
            continue
        assert response.status_code == 200, name
        assert len(response.context["items"]) == 14
        assert response.context["can_edit"] == (name == "admin")


def test_item_edit_only_for_admin(logistics, personas):
    item = Item.objects.get(election=logistics.election, code="tinta")
    url = reverse("logistics:item_edit", args=[item.pk])
    for name, persona in personas.items():
        response = persona.client.get(url)
        if name == "anonymous":
            assert response.status_code == 302
        elif name == "admin":
            assert response.status_code == 200
        else:
            assert response.status_code == 403, name
        post = persona.client.post(url, {"code": "tinta", "name": "x", "unit": "botol",
                                         "norm": "per_tps", "quantity": 9, "order": 1,
                                         "is_active": "on"})
        if name not in ("admin", "anonymous"):
            assert post.status_code == 403
    assert Item.objects.get(pk=item.pk).quantity == 9  # the admin's post
    assert _required(logistics.tps_a, "tinta") == 9
    assert personas["admin"].client.get(reverse("logistics:item_edit", args=[99999])).status_code == 404


def test_item_add_and_bad_input(logistics, personas):
    url = reverse("logistics:item_add")
    assert personas["kecamatan_a"].client.get(url).status_code == 403
    client = personas["admin"].client
    client.cookies["django_language"] = "en"
    response = client.post(url, {"code": "c-pemberitahuan", "name": "C.Pemberitahuan",
                                 "unit": "lembar", "norm": "per_voters", "quantity": 1,
                                 "order": 200, "is_active": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["voters_per_block"] == [
        "Give the number of voters per block for the per-voters norm."]
    assert not Item.objects.filter(code="c-pemberitahuan").exists()
    response = client.post(url, {"code": "c-pemberitahuan", "name": "C.Pemberitahuan",
                                 "unit": "lembar", "norm": "per_voters", "quantity": 1,
                                 "voters_per_block": 1, "order": 200, "is_active": "on"})
    assert response.status_code == 302
    assert _required(logistics.tps_a, "c-pemberitahuan") == 410
    response = client.post(url, {"code": "tinta", "name": "dup", "unit": "x", "norm": "per_tps",
                                 "quantity": 1, "order": 1})
    assert response.status_code == 400 and "code" in response.context["form"].errors


def test_catalogue_install_page(world, personas):
    _contests(world)
    url = reverse("logistics:catalogue_install")
    assert personas["admin"].client.get(url).status_code == 405
    assert personas["kecamatan_a"].client.post(url).status_code == 403
    assert personas["anonymous"].client.post(url).status_code == 302
    assert not Item.objects.exists()
    response = personas["admin"].client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("logistics:item_list")
    assert Item.objects.filter(election=world.election).count() == 14
    assert Requirement.objects.filter(tps=world.tps_a).count() == 14
    personas["admin"].client.post(url)
    assert Item.objects.filter(election=world.election).count() == 14


# --- pages: requirements ----------------------------------------------------------------------------

def test_tps_logistics_page_scope(logistics, personas):
    for tps, sees in ((logistics.tps_a, SEES_KEL_A), (logistics.tps_b, SEES_KEL_B),
                      (logistics.tps_outside, set())):
        url = reverse("logistics:tps_logistics", args=[tps.pk])
        for name, persona in personas.items():
            response = persona.client.get(url)
            if name == "anonymous":
                assert response.status_code == 302
            else:
                assert response.status_code == (200 if name in sees else 404), (name, tps)


def test_tps_logistics_page_shows_receipts_damage_and_shortfalls(logistics, users, personas):
    tps = logistics.tps_a
    box = Item.objects.get(election=logistics.election, code="kotak-suara")
    ballots = Item.objects.get(election=logistics.election, code="surat-suara-walikota")
    now = datetime.datetime(2024, 11, 25, 10, tzinfo=datetime.UTC)
    received = Shipment.objects.create(
        election=logistics.election, from_level="pps", to_level="tps", kecamatan=logistics.kec_a,
        kelurahan=logistics.kel_a, tps=tps, dispatched_at=now, status="received", received_at=now)
    ShipmentLine.objects.create(shipment=received, item=box, dispatched=2, received=2, damaged=1)
    ShipmentLine.objects.create(shipment=received, item=ballots, dispatched=421, received=379)
    on_the_way = Shipment.objects.create(
        election=logistics.election, from_level="pps", to_level="tps", kecamatan=logistics.kec_a,
        kelurahan=logistics.kel_a, tps=tps, dispatched_at=now)
    ShipmentLine.objects.create(shipment=on_the_way, item=ballots, dispatched=42)
    Shortfall.objects.create(election=logistics.election, kind="damaged", kecamatan=logistics.kec_a,
                             kelurahan=logistics.kel_a, tps=tps, item=box, quantity=1,
                             shipment=received, description="Kotak suara sobek")
    readiness.refresh(logistics.election, [tps.pk])
    response = personas["kelurahan_a"].client.get(reverse("logistics:tps_logistics", args=[tps.pk]))
    assert response.status_code == 200
    rows = {row["item"].code: row for row in response.context["rows"]}
    assert rows["kotak-suara"]["required"] == 2
    assert rows["kotak-suara"]["good"] == 1 and rows["kotak-suara"]["damaged"] == 1
    mayor = rows["surat-suara-walikota"]
    assert mayor["item"].name == "Surat suara Wali Kota Malang"
    assert mayor["good"] == 379 and mayor["in_transit"] == 42 and mayor["missing"] == 42
    # the mayor's ballots do not count for the governor's
    governor = rows["surat-suara-gubernur"]
    assert governor["good"] == 0 and governor["missing"] == 421
    assert rows["tinta"]["good"] == 0 and rows["tinta"]["missing"] == 2
    assert [s.description for s in response.context["shortfalls"]] == ["Kotak suara sobek"]
    assert response.context["readiness"].state == TpsReadiness.State.BERMASALAH
    assert "Kotak suara sobek" in response.content.decode()


def test_requirement_summary_drill_down_and_scope(logistics, personas):
    url = reverse("logistics:requirement_summary")
    admin = personas["admin"].client
    response = admin.get(url, {"kecamatan": "35.73.02"})
    assert response.context["level"].name == "kecamatan"
    assert [r["code"] for r in response.context["rows"]] == ["35.73.02.1001", "35.73.02.1002"]
    response = admin.get(url, {"kelurahan": "35.73.02.1001"})
    assert response.context["level"].name == "kelurahan"
    assert [r["tps_id"] for r in response.context["rows"]] == [logistics.tps_a.pk]
    # Outside the Pemda or the user's scope: 404.
    assert admin.get(url, {"kecamatan": "35.79.01"}).status_code == 404
    assert admin.get(url, {"kelurahan": "35.79.01.2001"}).status_code == 404
    lurah = personas["kelurahan_a"].client
    response = lurah.get(url)  # starts at their own kelurahan
    assert response.context["level"].name == "kelurahan"
    assert lurah.get(url, {"kelurahan": "35.73.02.1002"}).status_code == 404
    assert lurah.get(url, {"kecamatan": "35.73.01"}).status_code == 404
    camat = personas["kecamatan_a"].client
    response = camat.get(url)
    assert response.context["level"].name == "kecamatan"
    assert camat.get(url, {"kelurahan": "35.73.01.1001"}).status_code == 404
    totals = {r["item"].code: r["total"] for r in response.context["item_totals"]}
    assert totals["kotak-suara"] == 4  # two TPS in Klojen
    for name in ("agency", "pemantau"):
        assert personas[name].client.get(url).status_code == 200
    assert personas["anonymous"].client.get(url).status_code == 302


def test_requirement_summary_export(logistics, personas):
    url = reverse("logistics:requirement_summary")
    response = personas["admin"].client.get(url, {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 3  # header + 2 kecamatan
    header = rows[0]
    blimbing = dict(zip(header, rows[1], strict=True))
    assert blimbing[header[0]] == "35.73.01"
    assert blimbing["Kotak suara"] == "2"
    assert blimbing["Surat suara Wali Kota Malang"] == blimbing[
        "Surat suara Gubernur Jawa Timur"] == "421"
    assert "Surat suara" not in header
    response = personas["kelurahan_a"].client.get(url, {"export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="export").count() == 2


def test_requirement_summary_query_count_is_constant(logistics, users, personas):
    client = personas["admin"].client
    url = reverse("logistics:requirement_summary")

    def count(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    levels = [{}, {"kecamatan": "35.73.02"}, {"kelurahan": "35.73.02.1001"}]
    count({})  # warm-up: the Pemda is cached per process
    before = [count(p) for p in levels]
    kec = Kecamatan.objects.create(code="35.73.03", kabkota_id="35.73", name="Kedungkandang")
    for k in range(3):
        kel = Kelurahan.objects.create(code=f"35.73.03.10{k:02d}", kecamatan=kec, name=f"K{k}")
        for n in range(1, 4):
            Tps.objects.create(election=logistics.election, kelurahan=kel, number=n, dpt_men=100)
    for n in range(2, 6):
        Tps.objects.create(election=logistics.election, kelurahan=logistics.kel_a, number=n,
                           dpt_men=100)
    requirements.recompute(logistics.election)
    assert [count(p) for p in levels] == before


def test_settings_page(logistics, personas, users):
    url = reverse("logistics:settings")
    for name, persona in personas.items():
        status = persona.client.get(url).status_code
        assert status == {"admin": 200, "anonymous": 302}.get(name, 403), name
    assert personas["kecamatan_a"].client.post(url, {"tps_deadline_days": 2}).status_code == 403
    response = personas["admin"].client.post(url, {"tps_deadline_days": 40,
                                                   "tps_deadline_time": "18:00"})
    assert response.status_code == 400 and "tps_deadline_days" in response.context["form"].errors
    assert not LogisticsSettings.objects.exists()
    response = personas["admin"].client.post(url, {"tps_deadline_days": 2,
                                                   "tps_deadline_time": "12:30"})
    assert response.status_code == 302
    row = LogisticsSettings.objects.get(election=logistics.election)
    assert (row.tps_deadline_days, row.tps_deadline_time) == (2, datetime.time(12, 30))
    assert row.tps_deadline().isoformat() == "2024-11-25T12:30:00+07:00"
    response = personas["admin"].client.post(url, {"tps_deadline_days": 1,
                                                   "tps_deadline_time": "18:00"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(content_type__model="logisticssettings").count() == 2
