"""Every URL of Posko, tried anonymously and as an operator of another region.

A new view that forgets LoginRequired or the region scope fails here without
anyone writing a test for it."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from posko.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "set_language", "api:schema", "api:docs", "api:token", "api:api-root",
          # the citizen report form and its status page (issue 7): no account on purpose
          "incidents:public_report", "incidents:public_status", "api:incident-public-submit",
          "api:incident-public-status"}


def _patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def test_every_page_needs_login(world, users, client):
    checked = 0
    for name, pattern in _patterns():
        if name in PUBLIC or pattern.pattern.converters and "format" in pattern.pattern.converters:
            continue
        kwargs = {}
        for key in pattern.pattern.converters:
            kwargs[key] = {"pk": world.tps_a.pk, "code": world.kel_a.code,
                           "election": world.election.pk, "contest": 1}.get(key, 1)
        try:
            url = reverse(name, kwargs=kwargs)
        except Exception:  # noqa: BLE001 - a pattern whose arguments we cannot guess
            continue
        response = client.get(url)
        assert response.status_code in (301, 302, 401, 403), (name, url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/masuk/"), (name, url)
        checked += 1
    assert checked >= 25


@pytest.mark.parametrize("name", ["elections:tps_detail", "elections:tps_edit", "elections:tps_history",
                                  "elections:tps_delete"])
def test_other_regions_tps_is_404_on_every_tps_page(world, personas, name):
    client = personas["kelurahan_a"].client
    for tps in (world.tps_b, world.tps_a2, world.tps_outside):
        assert client.get(reverse(name, args=[tps.pk])).status_code == 404, (name, tps)
    assert personas["kelurahan_a"].client.get(reverse(name, args=[world.tps_a.pk])).status_code == 200


def test_audit_log_filters(world, users, personas):
    AuditEntry.objects.create(username="lurah.x", action="login_failed", object_repr="lurah.x")
    AuditEntry.objects.create(username="admin", action="export", object_repr="tps")
    client = personas["admin"].client
    body = client.get(reverse("audit_log"), {"action": "login_failed"}).content.decode()
    assert "lurah.x" in body and ">tps<" not in body
    body = client.get(reverse("audit_log"), {"user": "lurah"}).content.decode()
    assert "lurah.x" in body
    body = client.get(reverse("audit_log"), {"date_from": "bukan-tanggal"}).content.decode()
    assert "lurah.x" in body  # a bad date is ignored, not a server error
    entry = AuditEntry.objects.get(username="lurah.x")
    assert client.get(reverse("audit_entry", args=[entry.pk])).status_code == 200
    assert personas["pemantau"].client.get(reverse("audit_entry", args=[entry.pk])).status_code == 403
