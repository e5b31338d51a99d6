"""Issue 15.8c: the JKM (death) benefit is the regulated amount per election (data, editable
by admins, audited, the regulation named), prefilled on the claim; another amount needs a
reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry
from posko.workers import services
from posko.workers.models import Claim, Incident, WorkerSettings
from tests.workers_fixtures import make_worker

pytestmark = pytest.mark.django_db
REASON = ("The regulated JKM benefit for this election is Rp42.000.000 (PP 82/2019 (perubahan PP "
          "44/2015), Pasal 34: santunan sekaligus Rp20 juta, santunan berkala Rp12 juta, biaya "
          "pemakaman Rp10 juta): give the reason for claiming Rp30.000.000.")


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"


@pytest.fixture
def death(world, users):
    worker = make_worker(users["admin"], world.tps_a, name="Almarhum", bpjs_status="aktif",
                         bpjs_number="2401", bpjs_start=datetime.date(2024, 11, 1),
                         bpjs_end=datetime.date(2024, 12, 31))
    return services.record_incident(Incident(
        worker=worker, kind=Incident.Kind.MENINGGAL, date=datetime.date(2024, 11, 28),
        place="Rumah", description="Meninggal setelah penghitungan suara"), actor=users["admin"])


def test_the_default_is_pp_82_2019_and_the_claim_form_is_prefilled(world, personas, death):
    settings = WorkerSettings.for_election(world.election)
    assert settings.jkm_benefit == Decimal("42000000") and settings.jkm_regulation.startswith("PP 82/2019")
    page = personas["kelurahan_a"].client.get(reverse("workers:claim_add", args=[death.pk])).content.decode()
    assert 'value="jkm" selected' in page and 'name="amount" value="42000000"' in page
    assert "JKM: Rp42.000.000 (PP 82/2019" in page


def test_an_empty_amount_takes_the_regulated_one_another_needs_a_reason(world, personas, death):
    client = personas["kelurahan_a"].client
    url = reverse("workers:claim_add", args=[death.pk])
    claim = {"programme": "jkm", "status": "diajukan", "submitted_on": "2024-11-29"}
    refused = client.post(url, {**claim, "amount": "30000000"})
    assert refused.status_code == 400
    assert REASON in refused.content.decode().replace("&#x27;", "'")
    assert not Claim.objects.exists()  # nothing half-saved
    saved = client.post(url, {**claim, "amount": ""})
    assert saved.status_code == 302
    assert Claim.objects.get().amount == Decimal("42000000")
    other = client.post(url, {**claim, "amount": "30000000",
                              "amount_reason": "Santunan berkala sudah dibayar sebagian"})
    assert other.status_code == 302
    reasoned = Claim.objects.get(amount=Decimal("30000000"))
    entry = AuditEntry.objects.get(action="create", object_id=str(reasoned.pk),
                                   content_type__model="claim")
    assert entry.after["amount_reason"] == "Santunan berkala sudah dibayar sebagian"
    page = client.get(reverse("workers:incident_detail", args=[death.pk])).content.decode()
    assert "Rp30,000,000 (reason for the amount: Santunan berkala sudah dibayar sebagian)" in page \
        or "Rp30.000.000 (reason for the amount: Santunan berkala sudah dibayar sebagian)" in page


def test_the_admin_edits_the_regulated_amount_audited_and_claims_follow(world, personas, death):
    url = reverse("workers:settings")
    data = {"kpps_per_tps": 7, "linmas_per_tps": 2, "ptps_per_tps": 1, "pps_per_kelurahan": 3,
            "ppk_per_kecamatan": 5, "kpps_min_age": 17, "kpps_max_age": 55, "adhoc_min_age": 17,
            "kpps_domicile_required": "on", "adhoc_domicile_required": "on",
            "monthly_contribution": "16800", "duty_hours_threshold": 20,
            "jkm_benefit": "45000000", "jkm_regulation": "PP 99/2026 (contoh)", "version": 1}
    assert personas["kelurahan_a"].client.post(url, data).status_code == 403
    assert personas["admin"].client.post(url, {**data, "jkm_benefit": "-1"}).status_code == 400
    assert WorkerSettings.for_election(world.election).jkm_benefit == Decimal("42000000")
    assert personas["admin"].client.post(url, data).status_code == 302
    entry = AuditEntry.objects.filter(content_type__model="workersettings", action="update").latest("id")
    assert entry.before["jkm_benefit"] in ("42000000", 42000000, "42000000.0")
    assert entry.after["jkm_regulation"] == "PP 99/2026 (contoh)"
    page = personas["kelurahan_a"].client.get(reverse("workers:claim_add", args=[death.pk])).content.decode()
    assert 'name="amount" value="45000000"' in page and "PP 99/2026 (contoh)" in page


def test_the_api_fills_the_regulated_amount_and_asks_the_reason(world, personas, death):
    client = personas["kelurahan_a"].client
    url = reverse("api:worker-claim-list")
    body = {"incident": death.pk, "programme": "jkm", "status": "disiapkan"}
    refused = client.post(url, {**body, "amount": "30000000"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json() == {"amount_reason": [REASON]}
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Decimal(created.json()["amount"]) == Decimal("42000000")
    assert Claim.objects.count() == 1
