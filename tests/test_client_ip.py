"""The client's address behind a reverse proxy: X-Forwarded-For is believed only from a
trusted proxy, so the login limit, the public form's limit and the audit log see the real
client, and nobody can pick an address by sending the header themselves."""

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from posko.core.middleware import client_ip
from posko.core.models import AuditEntry
from posko.env import ConfigError, env_networks
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = {"POSKO_TRUSTED_PROXIES": ["127.0.0.1/32", "::1/128", "10.0.0.0/8"]}


def _ip(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@override_settings(POSKO_TRUSTED_PROXIES=[])
def test_without_a_trusted_proxy_the_header_is_ignored():
    assert _ip("203.0.113.5", "198.51.100.7") == "203.0.113.5"
    assert _ip("127.0.0.1", "198.51.100.7") == "127.0.0.1"


@override_settings(**PROXY)
def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client():
    assert _ip("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    # The client wrote the left entry itself: it is not believed.
    assert _ip("127.0.0.1", "6.6.6.6, 198.51.100.7") == "198.51.100.7"
    # Two proxies in a row (load balancer 10.0.0.3, then nginx).
    assert _ip("127.0.0.1", "198.51.100.7, 10.0.0.3") == "198.51.100.7"
    assert _ip("::1", "2001:db8::5") == "2001:db8::5"
    # A direct request from an untrusted address keeps its own address.
    assert _ip("203.0.113.5", "198.51.100.7") == "203.0.113.5"
    # No header, or garbage in it: the proxy's own address.
    assert _ip("127.0.0.1") == "127.0.0.1"
    assert _ip("127.0.0.1", "bukan-alamat") == "127.0.0.1"


def test_trusted_proxies_setting_is_parsed_strictly():
    assert env_networks("P", [], {"P": "127.0.0.1, 10.0.0.0/8"}) == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ConfigError, match="'nginx' is not an IP address or range"):
        env_networks("POSKO_TRUSTED_PROXIES", [], {"POSKO_TRUSTED_PROXIES": "nginx"})


@override_settings(**PROXY, LOGIN_MAX_FAILURES=2)
def test_one_guessing_client_does_not_lock_out_the_city(users):
    """Behind nginx every request comes from 127.0.0.1: without X-Forwarded-For the address
    limit (failures x 4) of one guesser would refuse everybody's login."""
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.66")
    for n in range(8):
        attacker.post(reverse("login"), {"username": f"tebak{n}", "password": "salah"})
    assert set(AuditEntry.objects.filter(action="login_failed").values_list("ip", flat=True)) == {
        "198.51.100.66"}
    response = attacker.post(reverse("login"), {"username": "kelurahan_a", "password": PASSWORD})
    assert response.status_code == 200  # the guessing address is blocked...
    office = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.20")
    response = office.post(reverse("login"), {"username": "kelurahan_a", "password": PASSWORD})
    assert response.status_code == 302  # ...another office is not
    assert AuditEntry.objects.get(action="login", username="kelurahan_a").ip == "203.0.113.20"
