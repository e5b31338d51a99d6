"""Chain of custody (issue 4): shipments along KPU → PPK → PPS → TPS and back, receipts
with their discrepancies and shortfall cases, the fast receipt entry of a kelurahan, and
every bad-input point of the issue — each with its message and nothing half-saved — plus
readiness transitions and every page as every persona."""

from __future__ import annotations

import datetime
import io
import re
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from PIL import Image

from posko.accounts.models import Agency
from posko.core.models import AuditEntry
from posko.core.services import ConflictError
from posko.elections.models import Contest
from posko.logistics.models import (
    Item,
    LogisticsSettings,
    Shipment,
    ShipmentLine,
    Shortfall,
    TpsReadiness,
)
from posko.logistics.services import requirements
from posko.logistics.services.receipts import confirm_receipt
from posko.logistics.services.shipments import create_shipment
from posko.logistics.services.shortfalls import flag_discrepancies, update_shortfall
from tests.conftest import EDITS_KEL_A, PERSONA_NAMES, SEES_KEL_A

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
DISPATCHED = datetime.datetime(2024, 11, 25, 8, 0, tzinfo=WIB)
RECEIVED = datetime.datetime(2024, 11, 25, 14, 0, tzinfo=WIB)
AFTER_DEADLINE = datetime.datetime(2024, 11, 26, 19, 30, tzinfo=WIB)  # deadline: H-1 18:00
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89"
       b"\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")  # a real 1x1 PNG (photos are decoded)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
S = Shipment.Level


def same_picture(stored: bytes, sent: bytes) -> bool:
    """The stored photo is the one sent, re-encoded without metadata: same format and size."""
    a, b = Image.open(io.BytesIO(stored)), Image.open(io.BytesIO(sent))
    return (a.format, a.size) == (b.format, b.size) and a.convert("RGBA").tobytes() == \
        b.convert("RGBA").tobytes()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def items(world):
    """Kotak suara (1 per contest: 1 in Kota Malang), bilik (4 per TPS), tinta (2 per TPS)."""
    Contest.objects.create(election=world.election, name="Wali Kota Malang",
                           level=Contest.Level.WALIKOTA, provinsi_id="35", kabkota_id="35.73")
    e = world.election
    result = SimpleNamespace(
        kotak=Item.objects.create(election=e, code="kotak_suara", name="Kotak suara",
                                  norm=Item.Norm.PER_CONTEST, quantity=1, order=1),
        bilik=Item.objects.create(election=e, code="bilik_suara", name="Bilik suara",
                                  norm=Item.Norm.PER_TPS, quantity=4, order=2),
        tinta=Item.objects.create(election=e, code="tinta", name="Tinta",
                                  norm=Item.Norm.PER_TPS, quantity=2, unit="botol", order=3),
    )
    requirements.recompute(e)
    return result


def full(items):
    return {items.kotak: 1, items.bilik: 4, items.tinta: 2}


def ship(world, users, items, tps=None, lines=None, *, actor="kelurahan_a", **kwargs):
    return create_shipment(
        world.election, S.PPS, S.TPS, tps or world.tps_a, lines or full(items),
        seal_numbers="KPU-001", vehicle="N 1234 AB", driver="Pak Slamet",
        dispatched_at=DISPATCHED, actor=users[actor], **kwargs)


def receive(shipment, users, counts=None, *, actor="kelurahan_a", when=RECEIVED, **kwargs):
    if counts is None:
        counts = {line.item_id: (line.dispatched, 0, "") for line in shipment.lines.all()}
    kwargs.setdefault("expected_version", shipment.version)
    return confirm_receipt(shipment, counts, "Bu Sri (KPPS)", when, actor=users[actor],
                                   **kwargs)


def state(tps) -> str:
    return TpsReadiness.objects.get(tps=tps).state


def messages_of(exc) -> str:
    return " ".join(exc.messages)


def assert_untouched(shipment):
    """The receipt was not saved, not even in part."""
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DISPATCHED
    assert shipment.version == 1 and shipment.received_at is None and not shipment.handover_photo
    assert not shipment.lines.filter(received__isnull=False).exists()
    assert not Shortfall.objects.filter(shipment=shipment).exists()
    assert not AuditEntry.objects.filter(object_id=str(shipment.pk), action="update",
                                         content_type__model="shipment").exists()


# --- creating shipments -----------------------------------------------------------------------

def test_lurah_ships_to_a_tps_of_their_kelurahan(world, users, items):
    shipment = ship(world, users, items)
    assert (shipment.kecamatan_id, shipment.kelurahan_id, shipment.tps_id) == (
        world.kec_a.code, world.kel_a.code, world.tps_a.pk)
    assert shipment.status == Shipment.Status.DISPATCHED and shipment.version == 1
    assert shipment.dispatched_by == users["kelurahan_a"]
    assert dict(shipment.lines.values_list("item__code", "dispatched")) == {
        "kotak_suara": 1, "bilik_suara": 4, "tinta": 2}
    entry = AuditEntry.objects.get(action="create", object_id=str(shipment.pk),
                                   content_type__model="shipment")
    assert entry.after["lines"]["bilik_suara"]["dispatched"] == 4
    assert entry.username == "kelurahan_a" and entry.kelurahan_code == world.kel_a.code
    assert state(world.tps_a) == TpsReadiness.State.BELUM  # dispatched is not received


def test_items_may_be_named_by_code(world, users, items):
    shipment = ship(world, users, items, lines={"kotak_suara": 1, "tinta": "2"})
    assert sorted(shipment.lines.values_list("item__code", flat=True)) == ["kotak_suara", "tinta"]
    with pytest.raises(ValidationError) as exc:
        receive(shipment, users, {"kotak_suara": (1, 0, ""), "payung": (1, 0, "")})
    assert exc.value.message_dict["lines"] == ["payung is not an item of this shipment."]
    assert exc.value.message_dict[f"received_{items.tinta.pk}"] == [
        "Tinta: enter how many were received."]
    receive(shipment, users, {"kotak_suara": (1, 0, ""), "tinta": {"received": 2}})
    assert shipment.status == "received"
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, lines={"payung": 1})
    assert "Item payung is not in this election's catalogue." in messages_of(exc.value)


def test_zero_counts_are_left_out(world, users, items):
    shipment = ship(world, users, items, lines={items.kotak: 1, items.bilik: 0, items.tinta: "0"})
    assert list(shipment.lines.values_list("item__code", flat=True)) == ["kotak_suara"]


@pytest.mark.parametrize("route", [(S.KPU, S.TPS, False), (S.PPS, S.PPK, False),
                                   (S.TPS, S.PPS, False), (S.PPS, S.TPS, True)])
def test_a_shipment_must_follow_the_chain(world, users, items, route):
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, route[0], route[1], world.tps_a, full(items),
                                actor=users["admin"], is_return=route[2])
    assert "is not a step of the chain" in messages_of(exc.value)
    assert not Shipment.objects.exists()


@pytest.mark.parametrize("actor,target", [
    ("kelurahan_a", "tps_b"), ("kelurahan_a", "tps_a2"), ("kecamatan_a", "tps_b"),
    ("admin", "tps_outside"), ("kelurahan_b", "tps_a")])
def test_a_shipment_to_a_tps_outside_the_senders_region_is_refused(world, users, items, actor,
                                                                    target):
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, getattr(world, target), actor=actor)
    assert exc.value.message_dict["place"][0].endswith(
        "a shipment can only go to a place inside the sender's region.")
    assert "outside your region" in exc.value.message_dict["place"][0]
    assert not Shipment.objects.exists() and not ShipmentLine.objects.exists()
    assert not AuditEntry.objects.filter(content_type__model="shipment").exists()


def test_the_camat_ships_to_pps_and_tps_of_the_kecamatan(world, users, items):
    to_pps = create_shipment(world.election, S.PPK, S.PPS, world.kel_a2, {items.kotak: 5},
                                     dispatched_at=DISPATCHED, actor=users["kecamatan_a"])
    assert (to_pps.kecamatan_id, to_pps.kelurahan_id, to_pps.tps_id) == (
        world.kec_a.code, world.kel_a2.code, None)
    ship(world, users, items, world.tps_a2, actor="kecamatan_a")
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.PPK, S.PPS, world.kel_b, {items.kotak: 5},
                                actor=users["kecamatan_a"])
    assert "destination is outside your region (Kecamatan Klojen)" in messages_of(exc.value)


def test_only_the_sender_records_a_shipment(world, users, items):
    # A lurah's operator does not send for the PPK, a camat's not for the KPU warehouse.
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.PPK, S.PPS, world.kel_a, {items.kotak: 1},
                                actor=users["kelurahan_a"])
    assert "cannot send on behalf of PPK (kecamatan)" in messages_of(exc.value)
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.KPU, S.PPK, world.kec_a, {items.kotak: 1},
                                actor=users["kecamatan_a"])
    assert "cannot send on behalf of KPU warehouse" in messages_of(exc.value)
    for name in ("pemantau", "agency"):
        with pytest.raises(ValidationError):
            ship(world, users, items, actor=name)
    assert not Shipment.objects.exists()
    kpu = create_shipment(world.election, S.KPU, S.PPK, world.kec_a, {items.kotak: 300},
                                  actor=users["admin"])
    assert kpu.kelurahan_id is None


def test_returns_run_the_chain_backwards(world, users, items):
    back = create_shipment(world.election, S.TPS, S.PPS, world.tps_a, {items.kotak: 1},
                                   actor=users["kelurahan_a"], is_return=True)
    assert back.tps_id == world.tps_a.pk and back.is_return
    # The PPS receives the return: the lurah may confirm it, and it never counts for readiness.
    receive(back, users, when=None)
    assert state(world.tps_a) == TpsReadiness.State.BELUM
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.TPS, S.PPS, world.tps_b, {items.kotak: 1},
                                actor=users["kelurahan_a"], is_return=True)
    assert messages_of(exc.value) == (
        "The place this return comes from is outside your region (Kelurahan Klojen): a return "
        "can only be recorded inside the sender's region.")


@pytest.mark.parametrize("bad,message", [
    (-1, "Bilik suara: a count cannot be negative (-1)."),
    ("-3", "Bilik suara: a count cannot be negative (-3)."),
    (2.5, "Bilik suara: 2.5 is not a whole number."),
    ("2,5", "Bilik suara: 2,5 is not a whole number."),
    ("dua", "Bilik suara: dua is not a whole number."),
    (True, "Bilik suara: True is not a whole number."),
    (10**9, "Bilik suara: 1000000000 is more than 10000000."),
])
def test_negative_or_non_integer_counts_are_refused_by_the_service(world, users, items, bad,
                                                                    message):
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, lines={items.kotak: 1, items.bilik: bad})
    assert exc.value.message_dict[f"count_{items.bilik.pk}"] == [message]
    assert not Shipment.objects.exists() and not ShipmentLine.objects.exists()


def test_a_shipment_needs_one_count_above_zero(world, users, items):
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, lines={items.kotak: 0, items.bilik: ""})
    assert exc.value.message_dict["lines"] == [
        "A shipment needs at least one item with a count above 0."]
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, lines={999999: 1})
    assert "is not in this election's catalogue" in messages_of(exc.value)


# --- confirming receipts ------------------------------------------------------------------------

def test_a_full_receipt_makes_the_tps_complete(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.RECEIVED and shipment.version == 2
    assert shipment.received_by == users["kelurahan_a"] and shipment.receiver_name == "Bu Sri (KPPS)"
    assert shipment.received_at == RECEIVED
    assert not Shortfall.objects.exists()
    readiness = TpsReadiness.objects.get(tps=world.tps_a)
    assert (readiness.state, readiness.percent, readiness.good_units) == ("lengkap", 100, 7)
    entry = AuditEntry.objects.get(action="update", object_id=str(shipment.pk),
                                   content_type__model="shipment")
    assert entry.before["status"] == "dispatched" and entry.after["status"] == "received"
    assert entry.after["lines"]["tinta"] == {"dispatched": 2, "received": 2, "damaged": 0,
                                             "explanation": ""}


@pytest.mark.parametrize("received,damaged,key,message", [
    (-1, 0, "received", "Bilik suara: a count cannot be negative (-1)."),
    ("3.5", 0, "received", "Bilik suara: 3.5 is not a whole number."),
    (None, 0, "received", "Bilik suara: enter how many were received."),
    (4, -2, "damaged", "Bilik suara: a count cannot be negative (-2)."),
    (4, 1.5, "damaged", "Bilik suara: 1.5 is not a whole number."),
    (2, 3, "damaged", "Bilik suara: damaged (3) cannot be more than received (2)."),
    (5, 0, "explanation", "Bilik suara: 5 received but only 4 dispatched. Explain the difference "
                          "to accept it."),
])
def test_bad_receipt_counts_are_refused_and_nothing_is_saved(world, users, items, received,
                                                             damaged, key, message):
    shipment = ship(world, users, items)
    counts = {items.kotak: (1, 0, ""), items.bilik: (received, damaged, ""), items.tinta: (2, 0, "")}
    with pytest.raises(ValidationError) as exc:
        receive(shipment, users, counts)
    assert exc.value.message_dict[f"{key}_{items.bilik.pk}"] == [message]
    assert_untouched(shipment)
    assert state(world.tps_a) == "belum"


def test_more_than_dispatched_is_accepted_with_an_explanation_and_flagged(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users, {items.kotak: (1, 0, ""), items.bilik: (5, 0, "  Satu bilik cadangan "),
                              items.tinta: (2, 0, "")})
    line = shipment.lines.get(item=items.bilik)
    assert (line.received, line.explanation) == (5, "Satu bilik cadangan")
    case = Shortfall.objects.get()
    assert (case.kind, case.item, case.quantity, case.shipment, case.tps) == (
        Shortfall.Kind.SURPLUS, items.bilik, 1, shipment, world.tps_a)
    assert "Satu bilik cadangan" in case.description
    assert state(world.tps_a) == "bermasalah"  # somebody must look at it


def test_a_receipt_confirmed_twice_is_refused_naming_who_and_when(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users)
    users["kelurahan_a"].first_name, users["kelurahan_a"].last_name = "Siti", "Aminah"
    users["kelurahan_a"].save()
    with pytest.raises(ConflictError) as exc:
        receive(shipment, users, {items.kotak: (0, 0, ""), items.bilik: (0, 0, ""),
                                  items.tinta: (0, 0, "")}, actor="admin")
    assert messages_of(exc.value) == (
        "This shipment was already confirmed by Siti Aminah at 25-11-2024 14:00 (received by "
        "Bu Sri (KPPS)); a receipt cannot be confirmed twice.")
    assert isinstance(exc.value, ConflictError)
    assert dict(shipment.lines.values_list("item__code", "received")) == {
        "kotak_suara": 1, "bilik_suara": 4, "tinta": 2}
    assert AuditEntry.objects.filter(action="update", content_type__model="shipment").count() == 1


def test_two_operators_confirming_at_once_the_second_gets_the_clear_message(world, users, items):
    shipment = ship(world, users, items)
    # Both pages were loaded with version 1.
    lurah_copy = Shipment.objects.get(pk=shipment.pk)
    camat_copy = Shipment.objects.get(pk=shipment.pk)
    assert lurah_copy.version == camat_copy.version == 1
    receive(lurah_copy, users, {items.kotak: (1, 0, ""), items.bilik: (4, 1, ""),
                                items.tinta: (2, 0, "")}, expected_version=1)
    with pytest.raises(ConflictError) as exc:
        receive(camat_copy, users, actor="kecamatan_a", expected_version=1,
                when=RECEIVED + datetime.timedelta(minutes=5))
    assert "already confirmed by Kelurahan A at 25-11-2024 14:00" in messages_of(exc.value)
    shipment.refresh_from_db()
    assert shipment.received_by == users["kelurahan_a"] and shipment.version == 2
    assert shipment.lines.get(item=items.bilik).damaged == 1  # the first receipt stands whole
    assert Shortfall.objects.filter(kind="damaged").count() == 1


def test_a_shipment_changed_meanwhile_is_a_conflict(world, users, items):
    shipment = ship(world, users, items)
    Shipment.objects.filter(pk=shipment.pk).update(version=2)  # e.g. a correction elsewhere
    with pytest.raises(ConflictError) as exc:
        receive(shipment, users, expected_version=1)
    assert "already confirmed" not in messages_of(exc.value)  # not the second-receipt message
    assert "Someone else saved this shipment while you were editing it" in messages_of(exc.value)
    shipment.refresh_from_db()
    assert shipment.status == "dispatched" and not shipment.lines.filter(received__isnull=False)


def test_only_the_receiving_side_may_confirm(world, users, items):
    shipment = ship(world, users, items)
    for name in ("kelurahan_b", "pemantau", "agency"):
        with pytest.raises(PermissionDenied):
            receive(shipment, users, actor=name)
    to_pps = create_shipment(world.election, S.PPK, S.PPS, world.kel_a, {items.kotak: 3},
                                     dispatched_at=DISPATCHED, actor=users["kecamatan_a"])
    receive(to_pps, users, actor="kelurahan_a")  # the PPS receives what the PPK sent
    assert_untouched(shipment)


def test_receipt_time_and_receiver_are_checked(world, users, items):
    shipment = ship(world, users, items)
    counts = {line.item_id: (line.dispatched, 0, "") for line in shipment.lines.all()}
    with pytest.raises(ValidationError) as exc:
        confirm_receipt(shipment, counts, " ", DISPATCHED - datetime.timedelta(hours=1),
                                actor=users["kelurahan_a"], expected_version=1)
    errors = exc.value.message_dict
    assert errors["receiver_name"] == ["Enter the name of the person who received the items."]
    assert errors["received_at"] == [
        "The time of receipt cannot be before the shipment was dispatched (25-11-2024 08:00)."]
    with pytest.raises(ValidationError) as exc:
        confirm_receipt(shipment, counts, "Bu Sri", datetime.datetime(2099, 1, 1, tzinfo=WIB),
                                actor=users["kelurahan_a"], expected_version=1)
    assert exc.value.message_dict["received_at"] == ["The time of receipt cannot be in the future."]
    with pytest.raises(ValidationError) as exc:
        confirm_receipt(shipment, {items.kotak: (1, 0, "")}, "Bu Sri", RECEIVED,
                                actor=users["kelurahan_a"], expected_version=1)
    assert exc.value.message_dict[f"received_{items.bilik.pk}"] == [
        "Bilik suara: enter how many were received."]
    assert_untouched(shipment)


def test_a_photo_that_is_not_an_image_is_refused(world, users, items, tmp_path):
    shipment = ship(world, users, items)
    fake = SimpleUploadedFile("berita-acara.jpg", EXE, content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        receive(shipment, users, photo=fake)
    assert exc.value.message_dict["photo"] == [
        "berita-acara.jpg is not a file of an accepted type (JPEG, PNG, WEBP). Its content was "
        "checked, not its name."]
    assert_untouched(shipment)
    pdf = SimpleUploadedFile("ba.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    with pytest.raises(ValidationError):
        receive(shipment, users, photo=pdf)
    assert_untouched(shipment)
    media = tmp_path / "media"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_photo_is_stored_under_a_random_name(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users, photo=SimpleUploadedFile("IMG_2024 ba.png", PNG))
    shipment.refresh_from_db()
    name = shipment.handover_photo.name
    assert re.fullmatch(r"berita-acara/\d{4}/\d{2}/[0-9a-f]{32}\.png", name), name
    assert same_picture(shipment.handover_photo.read(), PNG)  # re-encoded, no metadata


# --- discrepancies and readiness --------------------------------------------------------------

def test_short_damaged_and_late_are_flagged_once(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users, {items.kotak: (1, 1, ""), items.bilik: (3, 0, ""),
                              items.tinta: (2, 0, "")}, when=AFTER_DEADLINE)
    cases = {(c.kind, c.item_id): c for c in Shortfall.objects.all()}
    assert set(cases) == {("damaged", items.kotak.pk), ("short", items.bilik.pk), ("late", None)}
    assert cases[("short", items.bilik.pk)].quantity == 1
    assert cases[("damaged", items.kotak.pk)].quantity == 1
    late = cases[("late", None)]
    assert "the deadline for TPS was 26-11-2024 18:00" in late.description
    assert all(c.owner is None and c.status == "open" and c.tps == world.tps_a for c in cases.values())
    assert AuditEntry.objects.filter(action="create", content_type__model="shortfall").count() == 3
    # Checking again flags nothing twice.
    shipment.refresh_from_db()
    again = flag_discrepancies(shipment, list(shipment.lines.select_related("item")),
                                       actor=users["admin"])
    assert again == [] and Shortfall.objects.count() == 3
    assert state(world.tps_a) == "bermasalah"


def test_late_follows_the_configured_deadline_and_a_frozen_clock(world, users, items):
    settings_row = LogisticsSettings.for_election(world.election)
    settings_row.tps_deadline_days, settings_row.tps_deadline_time = 2, datetime.time(12, 0)
    settings_row.save()  # H-2 12:00 = 25-11-2024 12:00
    early = ship(world, users, items)
    receive(early, users, when=datetime.datetime(2024, 11, 25, 11, 59, tzinfo=WIB))
    assert not Shortfall.objects.filter(kind="late").exists()
    frozen = datetime.datetime(2024, 11, 25, 12, 1, tzinfo=WIB)
    late = ship(world, users, items, world.tps_a, actor="admin")
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        receive(late, users, when=None)  # received now (the frozen clock)
    late.refresh_from_db()
    assert late.received_at == frozen
    case = Shortfall.objects.get(kind="late")
    assert case.shipment == late and "the deadline for TPS was 25-11-2024 12:00" in case.description


def test_late_is_only_for_tps_shipments(world, users, items):
    to_pps = create_shipment(world.election, S.PPK, S.PPS, world.kel_a, {items.kotak: 3},
                                     dispatched_at=DISPATCHED, actor=users["admin"])
    receive(to_pps, users, when=AFTER_DEADLINE)
    assert not Shortfall.objects.exists()


def test_below_requirement_is_one_case_per_tps_and_item(world, users, items):
    first = ship(world, users, items, lines={items.bilik: 2, items.tinta: 2})
    receive(first, users)
    case = Shortfall.objects.get()
    assert (case.kind, case.item, case.quantity, case.shipment) == ("below", items.bilik, 2, None)
    assert state(world.tps_a) == "bermasalah"
    second = ship(world, users, items, lines={items.bilik: 1})
    receive(second, users)
    case.refresh_from_db()
    assert Shortfall.objects.count() == 1 and case.quantity == 1 and case.status == "open"
    third = ship(world, users, items, lines={items.bilik: 1, items.kotak: 1})
    receive(third, users)
    case.refresh_from_db()
    assert case.status == "resolved" and "Resolved automatically" in case.resolution
    assert case.closed_by == users["kelurahan_a"] and case.closed_at is not None
    assert Shortfall.objects.count() == 1
    assert state(world.tps_a) == "lengkap"


def test_a_gap_from_damage_is_the_damage_case_alone(world, users, items):
    shipment = ship(world, users, items)
    receive(shipment, users, {items.kotak: (1, 1, ""), items.bilik: (4, 0, ""),
                              items.tinta: (2, 0, "")})
    assert list(Shortfall.objects.values_list("kind", flat=True)) == ["damaged"]


def test_readiness_transitions(world, users, items):
    tps = world.tps_a
    assert state(tps) == "belum"
    # Ink arrives complete: something received, not everything.
    receive(ship(world, users, items, lines={items.tinta: 2}), users)
    assert state(tps) == "kurang"
    # The boxes and booths arrive with the only box damaged.
    receive(ship(world, users, items, lines={items.kotak: 1, items.bilik: 4}), users,
            {items.kotak: (1, 1, ""), items.bilik: (4, 0, "")})
    case = Shortfall.objects.get()
    assert case.kind == "damaged" and state(tps) == "bermasalah"
    update_shortfall(case, actor=users["kecamatan_a"], status="replacement",
                             resolution="Kotak pengganti dikirim PPK", expected_version=1)
    assert state(tps) == "bermasalah"  # still open until resolved
    receive(ship(world, users, items, lines={items.kotak: 1}), users)
    assert state(tps) == "bermasalah"
    case.refresh_from_db()
    update_shortfall(case, actor=users["admin"], status="resolved",
                             resolution="Kotak pengganti diterima utuh",
                             expected_version=case.version)
    readiness = TpsReadiness.objects.get(tps=tps)
    assert (readiness.state, readiness.percent, readiness.open_shortfalls) == ("lengkap", 100, 0)


def test_a_resolved_damage_case_leaves_the_tps_incomplete_not_in_trouble(world, users, items):
    receive(ship(world, users, items), users, {items.kotak: (1, 1, ""), items.bilik: (4, 0, ""),
                                                items.tinta: (2, 0, "")})
    case = Shortfall.objects.get()
    update_shortfall(case, actor=users["admin"], status="resolved",
                             resolution="Diterima KPU: kotak rusak ringan, tetap dipakai",
                             expected_version=1)
    assert state(world.tps_a) == "kurang"


# --- shortfall cases ------------------------------------------------------------------------------

@pytest.fixture
def case(world, users, items):
    receive(ship(world, users, items), users, {items.kotak: (1, 1, ""), items.bilik: (4, 0, ""),
                                                items.tinta: (2, 0, "")})
    return Shortfall.objects.get()


def test_resolving_needs_a_resolution(world, users, case):
    with pytest.raises(ValidationError) as exc:
        update_shortfall(case, actor=users["admin"], status="resolved", resolution=" ",
                                 expected_version=1)
    assert exc.value.message_dict == {"resolution": ["Say how the case was resolved."]}
    case.refresh_from_db()
    assert case.status == "open" and case.version == 1


def test_only_the_admin_sets_the_owner(world, users, case):
    dishub = Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    with pytest.raises(ValidationError) as exc:
        update_shortfall(case, actor=users["kelurahan_a"], status="open", owner=dishub,
                                 expected_version=1)
    assert exc.value.message_dict["owner"] == [
        "Only the Desk Pilkada admin can set the owner of a case."]
    update_shortfall(case, actor=users["admin"], status="open", owner=dishub,
                             expected_version=1)
    case.refresh_from_db()
    assert case.owner == dishub and case.version == 2
    entry = AuditEntry.objects.filter(content_type__model="shortfall", action="update").latest("pk")
    assert entry.before["owner"] is None and entry.after["owner"] == dishub.pk


def test_shortfall_updates_are_locked_and_scoped(world, users, case):
    update_shortfall(case, actor=users["kelurahan_a"], status="replacement",
                             expected_version=1)
    stale = Shortfall.objects.get(pk=case.pk)
    stale.version = 1
    with pytest.raises(ConflictError):
        update_shortfall(stale, actor=users["kecamatan_a"], status="resolved",
                                 resolution="x", expected_version=1)
    for name in ("kelurahan_b", "pemantau", "agency"):
        with pytest.raises(PermissionDenied):
            update_shortfall(case, actor=users[name], status="open", expected_version=2)
    case.refresh_from_db()
    assert case.status == "replacement"
    update_shortfall(case, actor=users["admin"], status="resolved", resolution="ok",
                             expected_version=2)
    case.refresh_from_db()
    assert case.closed_by == users["admin"] and case.closed_at
    update_shortfall(case, actor=users["admin"], status="open", expected_version=3)
    case.refresh_from_db()
    assert case.closed_at is None and case.closed_by is None
    assert state(world.tps_a) == "bermasalah"


# --- pages: persona matrix --------------------------------------------------------------------

@pytest.fixture
def shipment_a(world, users, items):
    return ship(world, users, items)


def _expect(personas, url, ok: set, forbidden: set = frozenset(), ok_status=200):
    for name in PERSONA_NAMES:
        response = personas[name].client.get(url)
        if name == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/"), url
        elif name in ok:
            expected = ok_status or (302 if name.startswith("kelurahan") else 200)
            assert response.status_code == expected, (name, url, response.status_code)
        elif name in forbidden:
            assert response.status_code == 403, (name, url, response.status_code)
        else:
            assert response.status_code == 404, (name, url, response.status_code)


def test_shipment_pages_as_every_persona(world, personas, users, items, shipment_a):
    everyone = set(PERSONA_NAMES) - {"anonymous"}
    _expect(personas, reverse("logistics:shipment_list"), everyone)
    _expect(personas, reverse("logistics:shipment_detail", args=[shipment_a.pk]), SEES_KEL_A)
    _expect(personas, reverse("logistics:shipment_confirm", args=[shipment_a.pk]), EDITS_KEL_A,
            SEES_KEL_A - EDITS_KEL_A)
    _expect(personas, reverse("logistics:shipment_add"),
            {"admin", "kecamatan_a", "kelurahan_a", "kelurahan_b"}, {"agency", "pemantau"})
    _expect(personas, reverse("logistics:receipt_fast", args=[world.kel_a.code]), EDITS_KEL_A,
            SEES_KEL_A - EDITS_KEL_A)
    _expect(personas, reverse("logistics:receipt_fast", args=["99.99.99.9999"]), set())
    choose = reverse("logistics:receipt_fast_choose")
    _expect(personas, choose, {"admin", "kecamatan_a"} | {"kelurahan_a", "kelurahan_b"},
            {"agency", "pemantau"}, ok_status=None)
    assert personas["kelurahan_a"].client.get(choose)["Location"] == reverse(
        "logistics:receipt_fast", args=[world.kel_a.code])


def test_the_shipment_list_shows_the_users_region_only(world, personas, users, items, shipment_a):
    other = ship(world, users, items, world.tps_b, actor="kelurahan_b")
    body_a = personas["kelurahan_a"].client.get(reverse("logistics:shipment_list")).content.decode()
    assert f"#{shipment_a.pk}<" in body_a and f"#{other.pk}<" not in body_a
    body = personas["admin"].client.get(reverse("logistics:shipment_list"),
                                        {"kelurahan": world.kel_b.code}).content.decode()
    assert f"#{other.pk}<" in body and f"#{shipment_a.pk}<" not in body
    body = personas["admin"].client.get(reverse("logistics:shipment_list"),
                                        {"status": "received"}).content.decode()
    assert f"#{other.pk}<" not in body
    body = personas["admin"].client.get(reverse("logistics:shipment_list"),
                                        {"search": "Slamet"}).content.decode()
    assert f"#{other.pk}<" in body
    response = personas["admin"].client.get(reverse("logistics:shipment_list"), {"export": "csv"})
    assert response.status_code == 200 and b"KPU-001" in b"".join(response.streaming_content)


def test_the_shipment_list_runs_a_fixed_number_of_queries(world, personas, users, items):
    client = personas["admin"].client
    ship(world, users, items)
    client.get(reverse("logistics:shipment_list"))  # loads the per-process constants
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("logistics:shipment_list"))
    for _ in range(5):
        ship(world, users, items, world.tps_b, actor="kelurahan_b")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("logistics:shipment_list"))
    assert len(many) == len(few)


def test_the_photo_download_is_scope_checked(world, personas, users, items, shipment_a):
    url = reverse("logistics:shipment_photo", args=[shipment_a.pk])
    assert personas["admin"].client.get(url).status_code == 404  # no photo yet
    receive(shipment_a, users, photo=SimpleUploadedFile("ba.png", PNG))
    for name in PERSONA_NAMES:
        response = personas[name].client.get(url)
        if name == "anonymous":
            assert response.status_code == 302
        elif name in SEES_KEL_A:
            assert response.status_code == 200 and response["Content-Type"] == "image/png"
            assert same_picture(b"".join(response.streaming_content), PNG)
        else:
            assert response.status_code == 404, name
    body = personas["pemantau"].client.get(shipment_a.get_absolute_url()).content.decode()
    assert url in body


# --- pages: creating a shipment ------------------------------------------------------------------

def tps_options(page: str) -> list[str]:
    select = re.search(r'<select name="tps".*?</select>', page, re.S).group(0)
    return [v for v in re.findall(r'value="([^"]*)"', select) if v]


def _form_data(world, items, **overrides):
    data = {"route": "pps-tps", "kelurahan": world.kel_a.code, "tps": world.tps_a.pk,
            "dispatched_at": "2024-11-25T08:00", "seal_numbers": "S-1", "vehicle": "", "driver": "",
            "note": "", f"count_{items.kotak.pk}": "1", f"count_{items.bilik.pk}": "4",
            f"count_{items.tinta.pk}": "2"}
    data.update(overrides)
    return data


def test_creating_a_shipment_through_the_page(world, personas, items):
    client = english(personas["kelurahan_a"].client)
    page = client.get(reverse("logistics:shipment_add")).content.decode()
    assert tps_options(page) == [str(world.tps_a.pk)]
    assert 'name="kecamatan"' not in page  # a lurah's operator never sends for a PPK
    response = client.post(reverse("logistics:shipment_add"), _form_data(world, items))
    shipment = Shipment.objects.get()
    assert response.status_code == 302 and response["Location"] == shipment.get_absolute_url()
    assert shipment.lines.count() == 3 and shipment.seal_numbers == "S-1"


@pytest.mark.parametrize("value,message", [("-1", "A count cannot be negative."),
                                           ("2.5", "Enter a whole number (no decimals)."),
                                           ("dua", "Enter a whole number (no decimals).")])
def test_the_page_refuses_bad_counts(world, personas, items, value, message):
    client = english(personas["kelurahan_a"].client)
    response = client.post(reverse("logistics:shipment_add"),
                           _form_data(world, items, **{f"count_{items.bilik.pk}": value}))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Shipment.objects.exists()


def test_the_page_names_a_destination_outside_the_region(world, personas, items):
    client = english(personas["kelurahan_a"].client)
    response = client.post(reverse("logistics:shipment_add"),
                           _form_data(world, items, tps=world.tps_b.pk, kelurahan=world.kel_b.code))
    body = response.content.decode()
    assert response.status_code == 400
    assert "outside your region (Kelurahan Klojen)" in body and "sender&#x27;s region" in body
    assert not Shipment.objects.exists()
    response = client.post(reverse("logistics:shipment_add"),
                           _form_data(world, items, **{f"count_{items.kotak.pk}": "0",
                                                       f"count_{items.bilik.pk}": "",
                                                       f"count_{items.tinta.pk}": "0"}))
    assert "at least one item with a count above 0" in response.content.decode()
    assert not Shipment.objects.exists()


def test_the_tps_list_follows_the_kelurahan(world, personas, items):
    client = personas["kecamatan_a"].client
    page = client.get(reverse("logistics:shipment_add"), {"kelurahan": world.kel_a2.code},
                      headers={"HX-Request": "true"}).content.decode()
    assert tps_options(page) == [str(world.tps_a2.pk)]


# --- pages: confirming a receipt ------------------------------------------------------------------

def _receipt_data(shipment, **overrides):
    data = {"receiver_name": "Pak Budi", "received_at": "2024-11-25T14:00", "note": "",
            "version": shipment.version}
    for line in shipment.lines.all():
        data[f"received_{line.item_id}"] = str(line.dispatched)
        data[f"damaged_{line.item_id}"] = "0"
        data[f"explanation_{line.item_id}"] = ""
    data.update(overrides)
    return data


def test_confirming_through_the_page(world, personas, items, shipment_a):
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:shipment_confirm", args=[shipment_a.pk])
    page = client.get(url).content.decode()
    assert f'name="received_{items.bilik.pk}" value="4"' in page
    data = _receipt_data(shipment_a, **{f"damaged_{items.kotak.pk}": "1"})
    data["photo"] = SimpleUploadedFile("ba.png", PNG)
    response = client.post(url, data)
    assert response.status_code == 302
    shipment_a.refresh_from_db()
    assert shipment_a.status == "received" and shipment_a.handover_photo.name.endswith(".png")
    body = client.get(shipment_a.get_absolute_url()).content.decode()
    assert "Damaged items" in body and reverse("logistics:shipment_photo", args=[shipment_a.pk]) in body
    # Opening the confirmation again says who confirmed it.
    response = client.get(url, follow=True)
    assert "already confirmed by Kelurahan A" in response.content.decode()


def test_the_page_refuses_more_than_dispatched_without_an_explanation(world, personas, items,
                                                                     shipment_a):
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:shipment_confirm", args=[shipment_a.pk])
    response = client.post(url, _receipt_data(shipment_a, **{f"received_{items.tinta.pk}": "3"}))
    assert response.status_code == 400
    assert "Tinta: 3 received but only 2 dispatched. Explain the difference to accept it." in \
        response.content.decode()
    assert_untouched(shipment_a)
    response = client.post(url, _receipt_data(shipment_a, **{
        f"received_{items.tinta.pk}": "3", f"explanation_{items.tinta.pk}": "Lebih 1 dari PPS"}))
    assert response.status_code == 302
    assert Shortfall.objects.get().kind == "surplus"


def test_the_page_refuses_a_photo_that_is_not_an_image(world, personas, items, shipment_a):
    client = english(personas["kelurahan_a"].client)
    data = _receipt_data(shipment_a)
    data["photo"] = SimpleUploadedFile("ba.png", EXE)
    response = client.post(reverse("logistics:shipment_confirm", args=[shipment_a.pk]), data)
    assert response.status_code == 400
    assert "ba.png is not a file of an accepted type (JPEG, PNG, WEBP)" in response.content.decode()
    assert_untouched(shipment_a)


def test_two_operators_on_the_confirmation_page(world, personas, items, shipment_a):
    lurah, camat = english(personas["kelurahan_a"].client), english(personas["kecamatan_a"].client)
    url = reverse("logistics:shipment_confirm", args=[shipment_a.pk])
    assert lurah.get(url).status_code == camat.get(url).status_code == 200  # both see version 1
    assert lurah.post(url, _receipt_data(shipment_a)).status_code == 302
    response = camat.post(url, _receipt_data(shipment_a, receiver_name="Pak Camat"))
    assert response.status_code == 409
    assert "already confirmed by Kelurahan A at 25-11-2024 14:00" in response.content.decode()
    shipment_a.refresh_from_db()
    assert shipment_a.receiver_name == "Pak Budi" and shipment_a.version == 2


# --- fast receipt entry ---------------------------------------------------------------------------

@pytest.fixture
def kelurahan_a_pending(world, users, items):
    """Two TPS in kelurahan A, one shipment each on the way; one more to kelurahan A2."""
    from posko.elections.models import Tps

    tps2 = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=2,
                              dpt_men=100, dpt_women=100)
    requirements.recompute(world.election, [tps2.pk])
    first = ship(world, users, items)
    second = ship(world, users, items, tps2)
    elsewhere = ship(world, users, items, world.tps_a2, actor="kecamatan_a")
    return SimpleNamespace(tps2=tps2, first=first, second=second, elsewhere=elsewhere)


def _fast_data(shipments, **overrides):
    data = {"receiver_name": "Pak Lurah", "received_at": "2024-11-25T15:00"}
    for shipment in shipments:
        p = f"s{shipment.pk}-"
        data[f"{p}confirm"] = "on"
        data[f"{p}version"] = str(shipment.version)
        for line in shipment.lines.all():
            data[f"{p}received_{line.item_id}"] = str(line.dispatched)
            data[f"{p}damaged_{line.item_id}"] = "0"
            data[f"{p}explanation_{line.item_id}"] = ""
    data.update(overrides)
    return data


def test_fast_entry_lists_the_kelurahans_pending_tps_shipments(world, personas,
                                                               kelurahan_a_pending):
    p = kelurahan_a_pending
    page = english(personas["kelurahan_a"].client).get(
        reverse("logistics:receipt_fast", args=[world.kel_a.code])).content.decode()
    assert 'data-testid="tps-1"' in page and 'data-testid="tps-2"' in page
    assert f'data-testid="shipment-{p.elsewhere.pk}"' not in page
    assert f'name="s{p.first.pk}-version" value="1"' in page
    assert re.search(rf'name="s{p.first.pk}-received_\d+" value="4"', page)
    assert re.search(rf'name="s{p.first.pk}-damaged_\d+" value="0"', page)


def test_fast_entry_confirms_everything_in_one_go(world, personas, items, kelurahan_a_pending):
    p = kelurahan_a_pending
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:receipt_fast", args=[world.kel_a.code])
    data = _fast_data([p.first, p.second], **{f"s{p.second.pk}-damaged_{items.kotak.pk}": "1"})
    response = client.post(url, data)
    assert response.status_code == 302
    for shipment in (p.first, p.second):
        shipment.refresh_from_db()
        assert shipment.status == "received" and shipment.receiver_name == "Pak Lurah"
    assert state(world.tps_a) == "lengkap" and state(p.tps2) == "bermasalah"
    assert Shortfall.objects.get().shipment == p.second
    page = client.get(url).content.decode()
    assert 'data-testid="nothing-pending"' in page


def test_fast_entry_is_all_or_nothing_with_errors_per_row(world, personas, items,
                                                          kelurahan_a_pending):
    p = kelurahan_a_pending
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:receipt_fast", args=[world.kel_a.code])
    data = _fast_data([p.first, p.second], **{
        f"s{p.second.pk}-received_{items.bilik.pk}": "6",
        f"s{p.second.pk}-damaged_{items.tinta.pk}": "-1"})
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved." in body and "A count cannot be negative." in body
    # The form-level error stops the batch; after fixing it the service's rule speaks.
    data[f"s{p.second.pk}-damaged_{items.tinta.pk}"] = "0"
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Bilik suara: 6 received but only 4 dispatched." in response.content.decode()
    for shipment in (p.first, p.second):
        assert_untouched(shipment)
    assert state(world.tps_a) == "belum"
    # Unticked shipments are left alone, and their inputs are not checked.
    del data[f"s{p.second.pk}-confirm"]
    data[f"s{p.second.pk}-received_{items.bilik.pk}"] = "garbage"
    assert client.post(url, data).status_code == 302
    p.first.refresh_from_db()
    assert p.first.status == "received"
    assert_untouched(p.second)


def test_fast_entry_reports_a_shipment_confirmed_meanwhile(world, personas, users, items,
                                                           kelurahan_a_pending):
    p = kelurahan_a_pending
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:receipt_fast", args=[world.kel_a.code])
    data = _fast_data([p.first, p.second])  # the page was loaded with both pending
    receive(Shipment.objects.get(pk=p.second.pk), users, actor="kecamatan_a")
    response = client.post(url, data)
    assert response.status_code == 409
    assert "already confirmed by Kecamatan A at 25-11-2024 14:00" in response.content.decode()
    assert_untouched(p.first)


def test_fast_entry_needs_a_receiver_and_a_ticked_shipment(world, personas, kelurahan_a_pending):
    p = kelurahan_a_pending
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:receipt_fast", args=[world.kel_a.code])
    response = client.post(url, _fast_data([p.first], receiver_name=""))
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    data = _fast_data([p.first])
    del data[f"s{p.first.pk}-confirm"]
    response = client.post(url, data)
    assert "Tick at least one shipment to confirm." in response.content.decode()
    assert_untouched(p.first)


def test_a_camat_chooses_the_kelurahan(world, personas, kelurahan_a_pending):
    page = personas["kecamatan_a"].client.get(reverse("logistics:receipt_fast_choose"))
    body = page.content.decode()
    assert reverse("logistics:receipt_fast", args=[world.kel_a.code]) in body
    assert reverse("logistics:receipt_fast", args=[world.kel_a2.code]) in body
    redirect = personas["kelurahan_a"].client.get(reverse("logistics:receipt_fast_choose"))
    assert redirect.status_code == 302


# --- pages: shortfall cases -----------------------------------------------------------------------

def test_shortfall_pages_as_every_persona(world, personas, case):
    everyone = set(PERSONA_NAMES) - {"anonymous"}
    _expect(personas, reverse("logistics:shortfall_list"), everyone)
    _expect(personas, reverse("logistics:shortfall_detail", args=[case.pk]), SEES_KEL_A)
    url = reverse("logistics:shortfall_update", args=[case.pk])
    for name in PERSONA_NAMES:
        response = personas[name].client.post(url, {"status": "replacement", "resolution": "",
                                                    "version": case.version})
        if name == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/masuk/")
        elif name in EDITS_KEL_A:
            assert response.status_code == 302, name
            case.refresh_from_db()
        elif name in SEES_KEL_A:
            assert response.status_code == 403, name
        else:
            assert response.status_code == 404, name


def test_the_shortfall_list_puts_open_cases_first_and_filters(world, personas, users, items, case):
    receive(ship(world, users, items, world.tps_b, actor="kelurahan_b"), users,
            when=AFTER_DEADLINE, actor="kelurahan_b")
    late = Shortfall.objects.get(kind="late")
    update_shortfall(case, actor=users["admin"], status="resolved", resolution="ok",
                             expected_version=1)
    client = english(personas["admin"].client)
    body = client.get(reverse("logistics:shortfall_list")).content.decode()
    assert body.index(f"#{late.pk} ") < body.index(f"#{case.pk} ")
    body = client.get(reverse("logistics:shortfall_list"), {"status": "unresolved"}).content.decode()
    assert f"#{late.pk} " in body and f"#{case.pk} " not in body
    body = client.get(reverse("logistics:shortfall_list"), {"kind": "damaged"}).content.decode()
    assert f"#{case.pk} " in body and f"#{late.pk} " not in body
    body = client.get(reverse("logistics:shortfall_list"),
                      {"kecamatan": world.kec_b.code}).content.decode()
    assert f"#{late.pk} " in body and f"#{case.pk} " not in body
    body = english(personas["kelurahan_a"].client).get(
        reverse("logistics:shortfall_list")).content.decode()
    assert f"#{late.pk} " not in body


def test_resolving_through_the_page(world, personas, users, case):
    client = english(personas["admin"].client)
    dishub = Agency.objects.create(name="Dinas Perhubungan", short_name="Dishub")
    page = client.get(case.get_absolute_url()).content.decode()
    assert 'name="owner"' in page
    assert 'name="owner"' not in english(personas["kelurahan_a"].client).get(
        case.get_absolute_url()).content.decode()
    url = reverse("logistics:shortfall_update", args=[case.pk])
    response = client.post(url, {"status": "resolved", "resolution": "", "version": 1,
                                 "owner": dishub.pk})
    assert response.status_code == 400 and "Say how the case was resolved." in response.content.decode()
    response = client.post(url, {"status": "resolved", "resolution": "Diganti", "version": 1,
                                 "owner": dishub.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved" and case.owner == dishub
    assert state(world.tps_a) == "kurang"
    response = client.post(url, {"status": "open", "resolution": "", "version": 1})
    assert response.status_code == 409
    assert "Someone else saved this shortfall case" in response.content.decode()
    body = client.get(case.get_absolute_url()).content.decode()
    assert "Diganti" in body and "History" in body


@pytest.mark.django_db(transaction=True)
def test_two_operators_confirming_at_the_same_moment_on_postgresql(world, users, items):
    """Two real transactions at once: one receipt stands whole, the other is told who won."""
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs two PostgreSQL connections")
    shipment = ship(world, users, items)
    barrier = threading.Barrier(2)
    results = {}

    def confirm(name, damaged):
        try:
            with translation.override("en"):
                copy = Shipment.objects.get(pk=shipment.pk)  # both read version 1
                barrier.wait(timeout=10)
                receive(copy, users, {items.kotak: (1, damaged, ""), items.bilik: (4, 0, ""),
                                      items.tinta: (2, 0, "")}, actor=name, expected_version=1)
                results[name] = "ok"
        except ConflictError as exc:
            results[name] = messages_of(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(name, d))
               for name, d in (("kelurahan_a", 0), ("kecamatan_a", 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winner = next(name for name, result in results.items() if result == "ok")
    loser = next(name for name in results if name != winner)
    assert "already confirmed by" in results[loser] and len(results) == 2
    shipment.refresh_from_db()
    assert shipment.version == 2 and shipment.received_by == users[winner]
    damaged = shipment.lines.get(item=items.kotak).damaged
    assert damaged == (1 if winner == "kecamatan_a" else 0)
    assert Shortfall.objects.filter(kind="damaged").count() == damaged
    assert AuditEntry.objects.filter(action="update", content_type__model="shipment").count() == 1


def test_fast_entry_and_case_list_run_a_fixed_number_of_queries(world, personas, users, items):
    from posko.elections.models import Tps

    client = personas["kelurahan_a"].client
    url = reverse("logistics:receipt_fast", args=[world.kel_a.code])
    receive(ship(world, users, items, lines={items.kotak: 1}), users, {items.kotak: (1, 1, "")})
    ship(world, users, items)
    client.get(url)  # loads the per-process constants
    with CaptureQueriesContext(connection) as few:
        client.get(url)
        client.get(reverse("logistics:shortfall_list"))
    for number in range(2, 6):
        tps = Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=number)
        receive(ship(world, users, items, tps, lines={items.kotak: 1}), users,
                {items.kotak: (1, 1, "")})
        ship(world, users, items, tps)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
        client.get(reverse("logistics:shortfall_list"))
    assert len(many) == len(few)
