"""The public portal's personal-data sweep (issue 17): with the Kota Malang demo on voting
night and every section public, every public page and open-data file is rendered and
searched for every personal value Posko holds (workers' names, NIK, phones and addresses,
public reporters, ASN in neutrality cases, users, agency contacts, receivers, signatories,
desk officers). One hit fails the test."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from posko.core import public
from posko.demo.data import build_demo
from posko.demo.timeline import VOTING_DAY_EVENING
from posko.elections.models import Tps
from posko.portal.models import PortalSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rolled-back tests reuse election ids and the generation counter: start empty."""
    cache.clear()
    yield
    cache.clear()

#: (model label, fields) that hold personal data (UU PDP 27/2022).
PERSONAL = [
    ("workers.Worker", ["nik", "full_name", "phone", "address"]),
    ("incidents.Report", ["reporter_name", "reporter_contact"]),
    ("incidents.NeutralityCase", ["asn_name"]),
    ("incidents.Pledge", ["signatory"]),
    ("accounts.User", ["username", "email", "phone"]),  # and the full name, below
    ("accounts.Agency", ["contact_person", "phone", "email"]),
    ("logistics.Shipment", ["receiver_name"]),
    ("coordination.Desk", ["chair_name", "secretary_name"]),
]
SHORTEST = 6  # shorter values ("Ani", "admin") would match ordinary words


def personal_values() -> dict[str, str]:
    values = {}
    for label, fields in PERSONAL:
        try:
            model = apps.get_model(label)
        except LookupError:  # module not installed: it holds nothing
            continue
        for field in fields:
            for value in model._base_manager.exclude(**{field: ""}).values_list(field, flat=True):
                if value and len(str(value).strip()) >= SHORTEST:
                    values[str(value).strip()] = f"{label}.{field}"
    # A user's name as one string: the demo's office accounts are "Lurah" + "Klojen", whose
    # parts are a place name and a title, public anyway.
    for first, last in apps.get_model("accounts.User").objects.values_list("first_name",
                                                                             "last_name"):
        full = f"{first} {last}".strip()
        if len(full) >= SHORTEST:
            values[full] = "accounts.User full name"
    return values


def public_urls(election, tps_list) -> list[str]:
    pk = election.pk
    urls = [reverse("portal:index"), reverse("portal:election", args=[pk]),
            reverse("portal:data", args=[pk])]
    urls += [reverse("portal:data_file", args=[pk, name])
             for name in ("tps.csv", "tps.json", "manifest.json")]
    for code in sorted({t.kelurahan_id for t in tps_list}):
        urls.append(reverse("portal:kelurahan", args=[pk, code]))
    urls += [reverse("portal:tps", args=[pk, t.kelurahan_id, t.number]) for t in tps_list]
    urls.append(reverse("portal:tps_find", args=[pk]) + "?kelurahan=x&nomor=1")
    return urls


def test_no_personal_value_on_any_public_page_or_file():
    result = build_demo(as_of=VOTING_DAY_EVENING)
    PortalSettings.objects.update_or_create(election_id=result.election_id, defaults={
        "is_public": True, "sections": [s.key for s in public.sections()],
        "sections_chosen": True})
    election = Tps.objects.filter(election_id=result.election_id).first().election
    values = personal_values()
    assert len(values) > 1000  # the demo's workers, reporters, users… (the sweep has teeth)
    # every kelurahan page, and the TPS pages of a spread of TPS (all 1,188 would be slow)
    tps_list = list(Tps.objects.filter(election=election).order_by("pk")[::40])
    anonymous, hits, pages = Client(), [], 0
    for url in public_urls(election, tps_list):
        response = anonymous.get(url)
        assert response.status_code in (200, 400), url
        body = response.content.decode()
        pages += 1
        hits += [f"{url}: {where} {value!r}" for value, where in values.items() if value in body]
    assert pages > 60
    assert not hits, "\n".join(hits[:30])
    data = json.loads(anonymous.get(reverse("portal:data_file", args=[election.pk, "tps.json"])).content)
    public.assert_public(data["rows"])
    assert len(data["rows"]) == 1188
    page = anonymous.get(reverse("portal:election", args=[election.pk])).content.decode()
    assert "Hasil tidak resmi / unofficial" in page  # voting night: the label is there


def test_the_sweep_would_catch_a_leak():
    """A page that printed a worker's name would fail: the check is not vacuous."""
    result = build_demo(as_of=VOTING_DAY_EVENING)
    values = personal_values()
    worker = apps.get_model("workers.Worker").objects.filter(
        tps__election_id=result.election_id).first()
    body = f"<p>{worker.full_name}</p>"
    assert any(value in body for value in values)
