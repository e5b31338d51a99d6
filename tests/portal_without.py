"""Run by tests/test_portal_modules.py in a fresh interpreter: Posko with one module removed
from INSTALLED_APPS (``POSKO_TEST_WITHOUT``). Migrates an in-memory database, switches the
portal on when it is installed, and prints one JSON line with the login page, the URL
namespaces and the sections the public election page shows."""

import json
import re
import sys

from without_boot import boot  # noqa: E402 - this script's folder is on sys.path

removed = boot()

import datetime  # noqa: E402

from django.apps import apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from posko.elections.models import Election, Tps  # noqa: E402
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi  # noqa: E402

call_command("check", fail_level="ERROR")
kabkota = KabKota.objects.create(code="35.73", name="Kota Malang",
                                 provinsi=Provinsi.objects.create(code="35", name="Jawa Timur"))
Pemda.objects.create(kabkota=kabkota, name="Pemerintah Kota Malang")
kelurahan = Kelurahan.objects.create(code="35.73.02.1001", name="Klojen", kecamatan=(
    Kecamatan.objects.create(code="35.73.02", kabkota=kabkota, name="Klojen")))
election = Election.objects.create(name="Pilkada", voting_date=datetime.date(2024, 11, 27),
                                   is_active=True)
Tps.objects.create(election=election, kelurahan=kelurahan, number=1, dpt_men=1, dpt_women=1)
client = Client()
sections, data = [], None
if apps.is_installed("posko.portal"):
    apps.get_model("portal", "PortalSettings").objects.create(election=election, is_public=True)
    page = client.get(f"/publik/{election.pk}/")
    assert page.status_code == 200, page.status_code
    sections = re.findall(r'data-section="([a-z_]+)"', page.content.decode())
    data = json.loads(client.get(f"/publik/{election.pk}/data/tps.json").content)
print(json.dumps({
    "namespaces": sorted(get_resolver().namespace_dict),
    "login_html": client.get("/masuk/").content.decode(),
    "publik": client.get("/publik/").status_code,
    "sections": sections,
    "columns": [c["name"] for c in data["columns"]] if data else [],
}))
sys.stdout.flush()
