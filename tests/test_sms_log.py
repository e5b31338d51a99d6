"""The SMS log page: scoped (a lurah sees her kelurahan's messages, the Desk admin every one
including unknown senders), numbers masked, filterable, a fixed number of queries whatever
the rows; and the reply sent through the gateway's send URL by a background job (a fake
gateway: a tiny HTTP server in the test)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posko.sms.models import SmsMessage
from posko.sms.signature import sign
from tests.conftest import client_for
from tests.sms_fixtures import SECRET, gateway_fixture  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = "/sms/"


@pytest.fixture
def logged(world, users, gateway):
    gateway("T 3573021001 1 BUKA 0712")  # kelurahan A's operator
    gateway("T 3573011001 1 BUKA 0712", sender="081234567002".replace("0812", "+62812"))  # B
    gateway("halo", sender="081299990000")  # unknown sender: admin only
    gateway("H 3573021001 1 W 1 2")  # malformed, placed at kelurahan A (the sender's)
    return gateway


def rows(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-status="')[1:]]


def test_the_route_is_the_module_list():
    assert reverse("sms:message_list") == URL


def test_each_operator_sees_the_messages_of_their_region(world, users, logged):
    admin = client_for(users["admin"]).get(URL)
    assert sorted(rows(admin)) == ["accepted", "accepted", "malformed", "unknown_sender"]
    lurah_a = client_for(users["kelurahan_a"]).get(URL)
    assert sorted(rows(lurah_a)) == ["accepted", "malformed"]
    assert "Jodipan" not in lurah_a.content.decode()
    assert rows(client_for(users["kelurahan_b"]).get(URL)) == ["accepted"]
    assert sorted(rows(client_for(users["kecamatan_a"]).get(URL))) == ["accepted", "malformed"]
    for name in ("pemantau", "agency"):
        assert client_for(users[name]).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 302


def test_numbers_are_masked(world, users, logged):
    html = client_for(users["admin"]).get(URL).content.decode()
    assert "081299990000" not in html and "0812•••••000" in html
    assert "+6281234567001" not in html


def test_filters(world, users, logged):
    admin = client_for(users["admin"])
    assert rows(admin.get(URL + "?status=unknown_sender")) == ["unknown_sender"]
    assert rows(admin.get(URL + "?kind=H")) == []  # the malformed H was not read as results
    assert rows(admin.get(URL + "?kelurahan=35.73.01.1001")) == ["accepted"]
    assert rows(admin.get(URL + "?search=halo")) == ["unknown_sender"]
    assert rows(admin.get(URL + "?search=9990000")) == ["unknown_sender"]
    assert rows(admin.get(URL + "?status=nonsense")) == []


def test_export_masks_numbers(world, users, logged):
    response = client_for(users["admin"]).get(URL + "?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content if response.streaming else [response.content])
    assert "0812•••••000".encode() in body and b"081299990000" not in body


def _count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_log_costs_the_same_queries_with_more_rows(world, users, logged):
    clients = {name: client_for(users[name]) for name in ("admin", "kelurahan_a")}
    before = {name: _count(client) for name, client in clients.items()}
    for n in range(12):
        logged(f"T 3573021001 1 SIAP {n}", sender="081234567003")
        logged(f"nonsense {n}", sender=f"0813000000{n:02d}")
    after = {name: _count(client) for name, client in clients.items()}
    assert after == before, (before, after)
    assert max(after.values()) <= 14


class _FakeGateway(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers.get("X-Posko-Signature")))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_gateway():
    _FakeGateway.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send", _FakeGateway.received
    server.shutdown()
    server.server_close()


def test_the_reply_is_sent_through_the_gateways_url(world, users, gateway, fake_gateway,
                                                    django_capture_on_commit_callbacks):
    url, received = fake_gateway
    with override_settings(POSKO_SMS_OUTBOUND_URL=url), \
            django_capture_on_commit_callbacks(execute=True):
        response = gateway("T 3573021001 1 BUKA 0712", message_id="gw-out-1")
    assert response.status_code == 200
    [(body, signature)] = received
    assert signature == sign(SECRET, body)
    assert json.loads(body) == {"to": "+6281234567001", "in_reply_to": "gw-out-1",
                                "text": "Accepted: TPS 001 Kel. Klojen opened 07:12."}
    assert SmsMessage.objects.get().reply_sent_at is not None
    # A retry of the same message id sends nothing again.
    with override_settings(POSKO_SMS_OUTBOUND_URL=url), \
            django_capture_on_commit_callbacks(execute=True):
        gateway("T 3573021001 1 BUKA 0712", message_id="gw-out-1")
    assert len(received) == 1
