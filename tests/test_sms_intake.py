"""SMS intake through the gateway's webhook (the Django test client posting as the gateway):
a TPS status and results are recorded through core.field_commands and answered; arithmetic
that fails is stored for verification; unknown senders, other regions' TPS, malformed texts
and refused reports are logged and answered, with nothing of the report half-saved; a retried
message id is answered again without a second record; a bad signature is 403."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from posko.core import field_commands
from posko.sms.models import SmsMessage
from posko.sms.signature import sign
from posko.voting.models import StatusEvent, TpsDay, TpsResult
from tests.sms_fixtures import SECRET, gateway_fixture, send  # noqa: F401 (fixture)
from tests.voting_fixtures import at

pytestmark = pytest.mark.django_db
KEL_A = "3573021001"  # world.kel_a, Klojen; TPS 001


def answer(response):
    assert response.status_code == 200, response.content
    return response.json()


def test_a_status_sms_is_recorded_and_confirmed(world, users, gateway):
    body = answer(gateway(f"t {KEL_A} tps 1 buka 07.12"))
    assert body["reply"] == "Accepted: TPS 001 Kel. Klojen opened 07:12."
    assert (body["status"], body["duplicate"]) == ("accepted", False)
    day = TpsDay.objects.get(tps=world.tps_a)
    assert day.state == "dibuka" and day.opened_at == at(7, 12)
    assert StatusEvent.objects.get().recorded_by == users["kelurahan_a"]
    msg = SmsMessage.objects.get()
    assert (msg.user, msg.tps, msg.kelurahan_id, msg.kind) == (
        users["kelurahan_a"], world.tps_a, world.kel_a.code, "T")
    assert msg.reply == body["reply"] and msg.text == f"t {KEL_A} tps 1 buka 07.12"


def test_status_without_a_time_takes_the_received_time(world, gateway):
    answer(gateway(f"T {KEL_A} 1 BUKA", received_at=at(7, 3)))
    assert TpsDay.objects.get().opened_at == at(7, 3)


def test_results_that_add_up_are_recorded(world, users, gateway):
    body = answer(gateway(f"H {KEL_A} 001 W 120 100 80 S 300 TS 8"))
    assert body["reply"] == ("Accepted: mayor results TPS 001 Kel. Klojen: pairs 1=120 2=100 "
                             "3=80, valid 300, invalid 8.")
    result = TpsResult.objects.get()
    assert (result.status, result.valid, result.invalid, result.voters_dpt) == (
        "tercatat", 300, 8, 308)
    assert result.votes == {"1": 120, "2": 100, "3": 80} and result.contest.level == "walikota"
    assert result.entered_by == users["kelurahan_a"]


def test_results_failing_arithmetic_are_stored_for_verification(world, gateway):
    body = answer(gateway(f"H {KEL_A} 1 G 100 90 99 S 290 TS 8"))
    assert body["status"] == "verification"
    assert body["reply"] == ("Stored for verification: governor results TPS 001 Kel. Klojen. "
                             "The pairs' votes add up to 289, not to the 290 valid votes.")
    result = TpsResult.objects.get()
    assert result.status == "perlu_verifikasi" and result.contest.level == "gubernur"
    assert [c["code"] for c in result.checks] == ["pairs_valid"]


def test_a_correction_needs_alasan(world, gateway):
    answer(gateway(f"H {KEL_A} 1 W 120 100 80 S 300 TS 8"))
    body = answer(gateway(f"H {KEL_A} 1 W 120 100 81 S 301 TS 8"))
    assert body["status"] == "refused" and body["reply"].startswith(
        "Refused: Say why the result is corrected: it replaces version 1")
    assert TpsResult.objects.count() == 1
    body = answer(gateway(f"H {KEL_A} 1 W 120 100 81 S 301 TS 8 ALASAN salah ketik pasangan 3"))
    assert body["status"] == "accepted"
    current = TpsResult.objects.get(is_current=True)
    assert (current.version, current.reason, current.valid) == (2, "salah ketik pasangan 3", 301)


def test_a_refused_report_saves_nothing_but_the_log(world, gateway):
    body = answer(gateway(f"H {KEL_A} 1 W 120 100 S 220 TS 8"))  # pair 3 missing
    assert body["status"] == "refused"
    assert body["reply"] == "Refused: The votes of pair 3 (3. Calon 3 – Wakil 3) are missing."
    body = answer(gateway(f"T {KEL_A} 1 TUTUP 1200"))  # a TPS closes at 13.00
    assert body["reply"] == ("Refused: A TPS closes at 13.00, not at 12.00: voters may come "
                             "until then.")
    assert not TpsResult.objects.exists() and not TpsDay.objects.exists()
    assert not StatusEvent.objects.exists()
    assert list(SmsMessage.objects.values_list("status", flat=True)) == ["refused", "refused"]


def test_a_state_cannot_go_back(world, gateway):
    answer(gateway(f"T {KEL_A} 1 TUTUP 1310"))
    body = answer(gateway(f"T {KEL_A} 1 BUKA 1320"))
    assert body["status"] == "refused" and "can only move it forward" in body["reply"]
    assert TpsDay.objects.get().state == "ditutup" and StatusEvent.objects.count() == 1


def test_another_regions_tps_is_refused_like_one_that_does_not_exist(world, gateway):
    other = answer(gateway("T 3573011001 1 BUKA 0712"))  # kelurahan B's TPS 001: not hers
    missing = answer(gateway(f"T {KEL_A} 9 BUKA 0712"))
    assert other["reply"] == "Refused: TPS 001 of kelurahan 35.73.01.1001 is not one of your TPS."
    assert missing["reply"] == "Refused: TPS 009 of kelurahan 35.73.02.1001 is not one of your TPS."
    assert other["status"] == missing["status"] == "refused"
    assert not TpsDay.objects.exists()
    # The camat's office reports for any TPS of its kecamatan, the admin for every one.
    assert answer(gateway("T 3573021002 1 BUKA 0712", sender="081234567003"))["status"] == \
        "accepted"
    assert answer(gateway("T 3573011001 1 BUKA 0712", sender="081234567000"))["status"] == \
        "accepted"


@pytest.mark.parametrize("sender", ["081299990000", "081234567005", ""])
def test_an_unknown_sender_is_logged_and_refused_politely(world, users, gateway, sender):
    response = gateway(f"T {KEL_A} 1 BUKA 0712", sender=sender or "0")
    body = answer(response)
    assert body["status"] == "unknown_sender"
    assert body["reply"] == ("Refused: this number is not registered for reports in Posko. Ask "
                             "the Desk Pilkada to register it on your account.")
    assert not TpsDay.objects.exists()
    msg = SmsMessage.objects.get()
    assert msg.kabkota_id is None and msg.tps_id is None


def test_a_number_shared_by_two_users_is_not_guessed(world, users, gateway):
    users["kelurahan_b"].phone = "0812 3456 7001"
    users["kelurahan_b"].save(update_fields=["phone"])
    assert answer(gateway(f"T {KEL_A} 1 BUKA 0712"))["status"] == "unknown_sender"
    assert not TpsDay.objects.exists()


@pytest.mark.parametrize("text", ["", "halo", f"T {KEL_A}", f"H {KEL_A} 1 W 1 2"])
def test_a_malformed_message_is_logged_and_answered_with_the_format(world, gateway, text):
    body = answer(gateway(text))
    assert body["status"] == "malformed"
    assert body["reply"].startswith("Refused: ") and body["reply"].endswith(
        "Example: T 3573011001 005 BUKA 0712 / H 3573011001 005 W 120 98 201 S 419 TS 12")
    assert SmsMessage.objects.get().text == text


def test_a_retried_message_id_gets_the_same_reply_and_no_second_record(world, gateway):
    first = answer(gateway(f"T {KEL_A} 1 BUKA 0712", message_id="gw-retry-1"))
    again = answer(gateway(f"T {KEL_A} 1 BUKA 0712", message_id="gw-retry-1"))
    assert again == {**first, "duplicate": True}
    # Even with another text (a gateway that re-encoded it): the id decides.
    other = answer(gateway(f"T {KEL_A} 1 TUTUP 1310", message_id="gw-retry-1"))
    assert other["reply"] == first["reply"] and other["duplicate"] is True
    assert SmsMessage.objects.count() == 1 and StatusEvent.objects.count() == 1
    assert TpsDay.objects.get().state == "dibuka"


def test_without_a_module_taking_the_report_it_is_refused(world, gateway):
    handler = field_commands._handlers.pop(field_commands.STATUS)
    try:
        body = answer(gateway(f"T {KEL_A} 1 BUKA 0712"))
    finally:
        field_commands.register(field_commands.STATUS, handler)
    assert body == {**body, "status": "refused",
                    "reply": "Refused: Posko does not take this report by SMS."}
    assert not TpsDay.objects.exists() and SmsMessage.objects.count() == 1


def test_a_nul_character_is_dropped_not_a_500(world, gateway):
    body = answer(gateway(f"T {KEL_A} 1 BUKA\x00 0712", message_id="gw-\x00nul"))
    assert body["status"] == "accepted" and body["message_id"] == "gw-nul"
    assert SmsMessage.objects.get().text == f"T {KEL_A} 1 BUKA 0712"


def test_a_refusal_is_replayed_too(world, gateway):
    first = answer(gateway("bad", message_id="gw-bad"))
    assert answer(gateway("bad", message_id="gw-bad")) == {**first, "duplicate": True}
    assert SmsMessage.objects.count() == 1


def test_form_body_and_bearer_token_are_accepted(world, gateway, client):
    with override_settings(POSKO_SMS_WEBHOOK_SECRET=SECRET):
        body = answer(send(client, f"T {KEL_A} 1 BUKA 0712", form=True))
        assert body["status"] == "accepted"
        body = answer(send(client, f"T {KEL_A} 1 MULAI 0730", bearer=True))
        assert body["status"] == "accepted"
        body = answer(send(client, f"T {KEL_A} 1 TUTUP 1300", form="multipart"))
        assert body["status"] == "accepted"
    assert TpsDay.objects.get().state == "ditutup"


@pytest.mark.parametrize("secret", ["wrong-secret-but-long-enough-000000", ""])
def test_a_bad_signature_is_403_and_nothing_is_logged(world, gateway, client, secret):
    assert send(client, f"T {KEL_A} 1 BUKA 0712", secret=secret).status_code == 403
    assert send(client, f"T {KEL_A} 1 BUKA 0712", secret=secret, bearer=True).status_code == 403
    assert not SmsMessage.objects.exists() and not TpsDay.objects.exists()


def test_another_method_is_403_unsigned_and_405_signed(world, gateway, client):
    url = reverse("api:sms-inbound")
    assert client.get(url).status_code == 403
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {SECRET}").status_code == 405


def test_without_a_configured_secret_the_webhook_refuses_everything(world, gateway, client):
    with override_settings(POSKO_SMS_WEBHOOK_SECRET=None):
        assert send(client, f"T {KEL_A} 1 BUKA 0712").status_code == 403
    assert not SmsMessage.objects.exists()


def test_a_payload_without_id_or_sender_is_400(world, gateway, client):
    for payload in ({"from": "0812", "text": "x"}, {"id": "1", "text": "x"},
                    {"id": "2", "from": "0812", "text": "x", "received_at": "yesterday"},
                    {"id": "3", "from": "0812", "text": "x", "received_at": "0010-01-01T00:00Z"}):
        raw = json.dumps(payload).encode()
        response = client.post(reverse("api:sms-inbound"), raw, content_type="application/json",
                               HTTP_X_POSKO_SIGNATURE=sign(SECRET, raw))
        assert response.status_code == 400, payload
    assert not SmsMessage.objects.exists()
