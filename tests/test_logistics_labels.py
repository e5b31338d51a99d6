"""Box labels and scanned codes (issue 18): the label code, the label PDF per kelurahan or
kecamatan (scoped, audited), box codes scanned at dispatch and at receipt (good, malformed,
another TPS, another region, another election, not dispatched), seals compared, and the
lookup of a scanned label that opens the receipt of the shipment carrying the box."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from posko.core.models import AuditEntry
from posko.elections.models import Election, Tps
from posko.logistics.labels import label_code, labels_per_item, parse_label, split_codes
from posko.logistics.models import Item, Shipment
from posko.logistics.services import requirements
from posko.logistics.services.shipments import create_shipment
from tests import test_logistics_custody as custody
from tests.test_logistics_custody import (
    DISPATCHED,
    assert_untouched,
    english,
    full,
    receive,
    ship,
)
from tests.test_reports import pdf_text

pytestmark = pytest.mark.django_db
S = Shipment.Level


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


items = custody.items  # the same items fixture (kotak suara, bilik, tinta)


def second_tps(world):
    return Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=2)


def code(world, tps, item, n=1):
    return label_code(world.election.pk, tps.kelurahan_id, tps.number, item.code, n)


# --- the code ----------------------------------------------------------------------------------

def test_the_label_code_reads_back():
    text = label_code(7, "35.73.02.1001", 5, "kotak-suara-walikota", 2)
    assert text == "POSKO:7:35.73.02.1001-005:kotak-suara-walikota:2"
    label = parse_label(f"  {text.lower()}\n")  # scanners add whitespace; case is forgiven
    assert (label.election_id, label.kelurahan_code, label.tps_number, label.n) == (
        7, "35.73.02.1001", 5, 2)
    assert label.code == text


@pytest.mark.parametrize("bad", ["", "hello", "POSKO:7:35.73.02.1001-005:kotak", "POSKO:x:35.73"
                                 ".02.1001-005:kotak:1", "POSKO:7:35.73.02-005:kotak:1",
                                 "POSKO:7:35.73.02.1001-000:kotak:1",
                                 "POSKO:7:35.73.02.1001-005:kotak:0",
                                 "POSKO:7:35.73.02.1001-005:kotak suara:1"])
def test_a_malformed_code_is_named(bad):
    with pytest.raises(ValidationError) as exc:
        parse_label(bad)
    assert "is not a Posko box label" in exc.value.messages[0]


def test_pieces_get_a_label_each_packages_one(world, items):
    assert labels_per_item(items.bilik, 4) == 4       # unit buah
    assert labels_per_item(items.tinta, 2) == 1       # unit botol: one pack
    assert labels_per_item(items.bilik, 0) == 0
    assert labels_per_item(items.bilik, 500) == 1     # too many pieces: packed
    assert split_codes("A, B\nA;C  b") == ["A", "B", "C"]


# --- the PDF -----------------------------------------------------------------------------------

def test_the_labels_of_a_kelurahan(world, personas, items):
    client = english(personas["kelurahan_a"].client)
    response = client.get(reverse("logistics:label_pdf"), {"kelurahan": world.kel_a.code})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "label-kotak-35.73.02.1001.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert text.count("TPS 001") == 6  # kotak 1, bilik 4, tinta 1
    assert "Kel. Klojen" in text and "Kec. Klojen" in text and "Rampal" not in text
    assert "Bilik suara" in text and "Box 4/4" in text and "Box 1/1" in text
    assert "All contests" in text
    assert code(world, world.tps_a, items.bilik, 3) in text
    entry = AuditEntry.objects.get(action="export", object_repr="label-kotak")
    assert entry.user.username == "kelurahan_a"
    assert entry.after == {"rows": 6, "format": "pdf", "filter": world.kel_a.code}


def test_a_contest_item_names_its_contest(world, personas, items):
    Item.objects.filter(pk=items.kotak.pk).update(contest=world.election.contests.first())
    response = personas["admin"].client.get(reverse("logistics:label_pdf"),
                                            {"kelurahan": world.kel_a.code})
    assert "Wali Kota Malang" in pdf_text(response.content)


def test_the_labels_of_a_kecamatan_and_the_scope(world, personas, items):
    url = reverse("logistics:label_pdf")
    text = pdf_text(personas["kecamatan_a"].client.get(url, {"kecamatan": world.kec_a.code})
                    .content)
    assert "Kel. Klojen" in text and "Kel. Rampal Celaket" in text and "Jodipan" not in text
    assert text.count("TPS 001") == 12
    # Outside the region: 404, and nothing is audited.
    assert personas["kelurahan_b"].client.get(url, {"kelurahan": world.kel_a.code}
                                              ).status_code == 404
    assert personas["kelurahan_a"].client.get(url, {"kecamatan": world.kec_b.code}
                                              ).status_code == 404
    assert personas["kelurahan_a"].client.get(url, {"kelurahan": "99.99.99.9999"}
                                              ).status_code == 404
    # A lurah asking for the whole kecamatan gets their own kelurahan's labels only.
    text = pdf_text(personas["kelurahan_a"].client.get(url, {"kecamatan": world.kec_a.code})
                    .content)
    assert "Rampal" not in text and text.count("TPS 001") == 6
    response = english(personas["kelurahan_a"].client).get(url)
    assert response.status_code == 400
    assert "Choose the kelurahan or the kecamatan" in response.content.decode()
    assert AuditEntry.objects.filter(action="export", object_repr="label-kotak").count() == 2


def test_too_many_labels_are_refused(world, personas, items, settings):
    settings.POSKO_LABELS_MAX = 5
    response = english(personas["admin"].client).get(reverse("logistics:label_pdf"),
                                                     {"kelurahan": world.kel_a.code})
    assert response.status_code == 400 and "6 labels are too many" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export", object_repr="label-kotak").exists()


# --- box codes at dispatch ---------------------------------------------------------------------

def test_boxes_scanned_at_dispatch_are_stored(world, users, items):
    codes = [code(world, world.tps_a, items.bilik, n) for n in (1, 2)]
    shipment = ship(world, users, items, box_codes=f"{codes[0]}\n {codes[1].lower()}, {codes[0]}")
    assert shipment.box_codes.split("\n") == codes  # normalised, each once
    entry = AuditEntry.objects.get(action="create", object_id=str(shipment.pk))
    assert entry.after["box_codes"] == "\n".join(codes)


@pytest.mark.parametrize("case, message", [
    ("other_tps", "is for TPS 002 Klojen, not for this shipment's TPS 001 Klojen"),
    ("other_region", "names a TPS outside your region"),
    ("malformed", "is not a Posko box label"),
    ("other_election", "is for another election"),
    ("unknown_item", "names an item that is not in this election's catalogue"),
])
def test_wrong_boxes_at_dispatch_are_refused(world, users, items, case, message):
    other = Election.objects.create(name="Pilkada lama", voting_date=DISPATCHED.date())
    wrong = {
        "other_tps": code(world, second_tps(world), items.bilik),
        "other_region": code(world, world.tps_b, items.bilik),
        "malformed": "KPU-SEGEL-0001",
        "other_election": label_code(other.pk, world.kel_a.code, 1, "bilik_suara", 1),
        "unknown_item": code(world, world.tps_a, items.bilik).replace("bilik_suara", "sepeda"),
    }[case]
    before = Shipment.objects.count()
    with pytest.raises(ValidationError) as exc:
        ship(world, users, items, box_codes=f"{code(world, world.tps_a, items.kotak)}\n{wrong}")
    assert message in " ".join(exc.value.message_dict["box_codes"])
    assert Shipment.objects.count() == before


def test_a_kelurahan_shipment_takes_the_boxes_of_all_its_tps(world, users, items):
    shipment = create_shipment(world.election, S.PPK, S.PPS, world.kel_a, full(items),
                               actor=users["kecamatan_a"], dispatched_at=DISPATCHED,
                               box_codes=code(world, world.tps_a, items.kotak))
    assert shipment.box_codes == code(world, world.tps_a, items.kotak)
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.PPK, S.PPS, world.kel_a, full(items),
                        actor=users["kecamatan_a"], dispatched_at=DISPATCHED,
                        box_codes=code(world, world.tps_a2, items.kotak))
    assert "not for this shipment's Klojen" in " ".join(exc.value.messages)


# --- box codes and seals at receipt ------------------------------------------------------------

def test_boxes_and_seals_at_receipt(world, users, personas, items):
    sent = [code(world, world.tps_a, items.bilik, n) for n in (1, 2)]
    shipment = ship(world, users, items, box_codes="\n".join(sent))
    receive(shipment, users, box_codes=sent[0], seal_numbers="KPU-002")
    shipment.refresh_from_db()
    assert shipment.received_box_codes == sent[0]
    assert shipment.received_seal_numbers == "KPU-002"
    page = english(personas["kelurahan_a"].client).get(shipment.get_absolute_url()).content.decode()
    assert "not scanned at receipt" in page and 'data-testid="seal-mismatch"' in page
    assert "missing: KPU-001" in page and "not written at dispatch: KPU-002" in page


@pytest.mark.parametrize("case, message", [
    ("not_dispatched", "was not dispatched with this shipment"),
    ("other_tps", "is for TPS 002 Klojen"),
    ("other_region", "names a TPS outside your region"),
    ("malformed", "is not a Posko box label"),
])
def test_wrong_boxes_at_receipt_are_refused_and_nothing_is_saved(world, users, items, case,
                                                                message):
    shipment = ship(world, users, items, box_codes=code(world, world.tps_a, items.bilik, 1))
    wrong = {"not_dispatched": code(world, world.tps_a, items.bilik, 2),
             "other_tps": code(world, second_tps(world), items.bilik),
             "other_region": code(world, world.tps_b, items.bilik),
             "malformed": "POSKO:1:hello"}[case]
    with pytest.raises(ValidationError) as exc:
        receive(shipment, users, box_codes=wrong)
    assert message in " ".join(exc.value.message_dict["box_codes"])
    assert_untouched(shipment)


def test_the_receipt_page_takes_scanned_boxes(world, users, personas, items):
    box = code(world, world.tps_a, items.kotak)
    shipment = ship(world, users, items, box_codes=box)
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:shipment_confirm", args=[shipment.pk])
    page = client.get(url).content.decode()
    assert 'data-scan="qr_code code_128"' in page and "posko/scan.js" in page
    data = {"receiver_name": "Pak Budi", "received_at": "2024-11-25T14:00", "note": "",
            "version": shipment.version, "seal_numbers": "KPU-001",
            "box_codes": code(world, world.tps_b, items.kotak)}
    for line in shipment.lines.all():
        data.update({f"received_{line.item_id}": line.dispatched, f"damaged_{line.item_id}": 0})
    response = client.post(url, data)
    assert response.status_code == 400
    assert "names a TPS outside your region" in response.content.decode()
    assert_untouched(shipment)
    response = client.post(url, {**data, "box_codes": box})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.received_box_codes == box and shipment.received_seal_numbers == "KPU-001"


# --- looking a scanned label up ----------------------------------------------------------------

def test_a_scanned_label_opens_the_receipt_with_the_box_filled(world, users, personas, items):
    shipment = ship(world, users, items)
    box = code(world, world.tps_a, items.bilik, 2)
    url = reverse("logistics:label_lookup")
    response = personas["kelurahan_a"].client.get(url, {"kode": box.lower()})
    confirm = reverse("logistics:shipment_confirm", args=[shipment.pk])
    assert response.status_code == 302 and response["Location"].startswith(confirm + "?kotak=")
    page = personas["kelurahan_a"].client.get(response["Location"]).content.decode()
    assert f"{box}</textarea>" in page
    # Outside the region: 404; malformed or another election: the message.
    assert personas["kelurahan_b"].client.get(url, {"kode": box}).status_code == 404
    client = english(personas["kelurahan_a"].client)
    response = client.get(url, {"kode": "SEGEL-123"})
    assert response.status_code == 400 and "is not a Posko box label" in response.content.decode()
    other = box.replace(f"POSKO:{world.election.pk}:", f"POSKO:{world.election.pk + 100}:")
    response = client.get(url, {"kode": other})
    assert response.status_code == 400 and "for another election" in response.content.decode()
    assert client.get(url, {"kode": ""}).status_code == 400


def test_a_label_with_nothing_on_the_way_says_so(world, users, personas, items):
    response = english(personas["kelurahan_a"].client).get(
        reverse("logistics:label_lookup"), {"kode": code(world, world.tps_a, items.bilik)})
    assert response.status_code == 200
    assert "No shipment on its way that you may receive carries Bilik suara for TPS 001" in \
        response.content.decode()


def test_the_label_page_lists_the_users_places(world, personas, items):
    page = personas["kelurahan_a"].client.get(reverse("logistics:labels")).content.decode()
    assert world.kel_a.code in page and world.kel_b.code not in page
    assert 'name="kode"' in page and "data-scan=" in page


def test_the_label_pdf_runs_a_fixed_number_of_queries(world, personas, items):
    client = personas["admin"].client
    url = reverse("logistics:label_pdf")

    def queries(params):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        return len(captured)

    queries({"kelurahan": world.kel_a2.code})  # warm the per-process caches
    one = queries({"kelurahan": world.kel_a.code})
    for number in range(2, 7):
        Tps.objects.create(election=world.election, kelurahan=world.kel_a, number=number)
    Tps.objects.create(election=world.election, kelurahan=world.kel_a2, number=2)
    requirements.recompute(world.election)
    assert queries({"kelurahan": world.kel_a.code}) == one
    assert queries({"kecamatan": world.kec_a.code}) == one


# --- the API -----------------------------------------------------------------------------------

def test_the_api_takes_box_codes_and_seals(world, users, items):
    client = APIClient()
    client.force_authenticate(users["kelurahan_a"])
    box = code(world, world.tps_a, items.kotak)
    body = {"from_level": "pps", "to_level": "tps", "tps": world.tps_a.pk,
            "lines": [{"item": items.kotak.pk, "dispatched": 1}],
            "box_codes": code(world, world.tps_b, items.kotak)}
    response = client.post("/api/v1/logistics/shipments/", body, format="json")
    assert response.status_code == 400
    assert "di luar wilayah Anda" in str(response.json())  # Indonesian by default
    assert not Shipment.objects.exists()
    response = client.post("/api/v1/logistics/shipments/", {**body, "box_codes": box},
                           format="json")
    assert response.status_code == 201 and response.json()["box_codes"] == box
    pk = response.json()["id"]
    confirm = {"version": 1, "receiver_name": "Bu Sri",
               "lines": [{"item": items.kotak.pk, "received": 1}],
               "box_codes": box, "seal_numbers": "KPU-9"}
    response = client.post(f"/api/v1/logistics/shipments/{pk}/confirm/", confirm, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["received_box_codes"] == box
    assert response.json()["received_seal_numbers"] == "KPU-9"


def test_one_box_is_scanned_along_the_whole_chain(world, users, items):
    """Gudang KPU → PPK → PPS → TPS: the same label scanned out and in at every leg."""
    box = code(world, world.tps_a, items.kotak)
    legs = [(S.KPU, S.PPK, world.kec_a, "admin", "kecamatan_a"),
            (S.PPK, S.PPS, world.kel_a, "kecamatan_a", "kelurahan_a"),
            (S.PPS, S.TPS, world.tps_a, "kelurahan_a", "kelurahan_a")]
    for from_level, to_level, place, sender, receiver in legs:
        shipment = create_shipment(world.election, from_level, to_level, place,
                                   {items.kotak: 1}, actor=users[sender],
                                   dispatched_at=DISPATCHED, box_codes=box)
        receive(shipment, users, actor=receiver, box_codes=box)
        shipment.refresh_from_db()
        assert (shipment.box_codes, shipment.received_box_codes) == (box, box)
    # A box of another kecamatan cannot even leave the gudang on Klojen's truck.
    with pytest.raises(ValidationError) as exc:
        create_shipment(world.election, S.KPU, S.PPK, world.kec_a, {items.kotak: 1},
                        actor=users["admin"], dispatched_at=DISPATCHED,
                        box_codes=code(world, world.tps_b, items.kotak))
    assert "is for TPS 001 Jodipan, not for this shipment's Klojen" in " ".join(exc.value.messages)


def test_a_label_with_nothing_on_the_way_offers_a_new_shipment_to_its_sender(world, personas,
                                                                            items):
    box = code(world, world.tps_a, items.bilik)
    url = reverse("logistics:label_lookup")
    page = personas["kelurahan_a"].client.get(url, {"kode": box}).content.decode()
    assert 'data-testid="new-shipment-link"' in page
    link = re.search(r'href="([^"]+)" data-testid="new-shipment-link"', page)[1]
    form = personas["kelurahan_a"].client.get(link.replace("&amp;", "&")).content.decode()
    assert f"{box}</textarea>" in form
    assert f'<option value="{world.tps_a.pk}" selected>' in form
    # Someone who sees the TPS but may not send there gets no such link.
    page = personas["pemantau"].client.get(url, {"kode": box}).content.decode()
    assert 'data-testid="new-shipment-link"' not in page


def test_long_names_are_cut_to_stay_on_their_label(world, personas, items):
    Item.objects.filter(pk=items.tinta.pk).update(
        name="Tinta sidik jari untuk pemilih yang telah memberikan suara di TPS ini, botol "
             "besar tahan air dan tidak mudah luntur")
    response = personas["admin"].client.get(reverse("logistics:label_pdf"),
                                            {"kelurahan": world.kel_a.code})
    text = pdf_text(response.content)
    assert "Tinta sidik jari" in text and "luntur" not in text and "…" in text
    assert code(world, world.tps_a, items.tinta) in text  # the code is never cut
