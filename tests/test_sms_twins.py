"""Two deliveries of one gateway message id at the same moment (a gateway retrying while the
first is still being written): on PostgreSQL the second waits on the log's unique id, then
answers the first one's reply; one log row, one report."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from posko.sms.models import SmsMessage
from posko.sms.services import intake
from posko.voting.models import StatusEvent
from tests.sms_fixtures import gateway_fixture  # noqa: F401 (fixture)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: two writers at once; "
                    "SQLite runs one write transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_twin_deliveries_record_once_and_answer_alike(world, gateway):
    inbound = intake.Inbound("gw-twin", "+6281234567001", "T 3573021001 1 BUKA 0712")
    inside, release = threading.Event(), threading.Event()
    original, results = intake._process, {}

    def slow_process(msg, election):
        original(msg, election)
        inside.set()
        release.wait(10)  # the first delivery holds its transaction open

    def first():
        try:
            with override_settings(LANGUAGE_CODE="en"):
                results["first"] = intake.receive(inbound, election=world.election)
        finally:
            connection.close()

    intake._process = slow_process
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(10)
        intake._process = original
        threading.Timer(0.5, release.set).start()  # while the twin waits on the unique id
        second, duplicate = intake.receive(inbound, election=world.election)
        thread.join(10)
    finally:
        intake._process = original
        release.set()
    first_msg, first_duplicate = results["first"]
    assert (first_duplicate, duplicate) == (False, True)
    assert second.pk == first_msg.pk and second.reply == first_msg.reply
    assert second.reply == "Accepted: TPS 001 Kel. Klojen opened 07:12."
    assert SmsMessage.objects.count() == 1 and StatusEvent.objects.count() == 1
