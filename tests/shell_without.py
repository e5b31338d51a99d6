"""Run by tests/test_shell_registry.py in a fresh interpreter: Posko with one domain module
removed from INSTALLED_APPS (``POSKO_TEST_WITHOUT``). Migrates an in-memory database, then
builds the URLconf, renders the beranda and the login page, and reads the API root and
schema. Prints one JSON line with what it saw."""

import json
import sys

from without_boot import boot  # noqa: E402 - this script's folder is on sys.path

removed = boot()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from posko.accounts.models import Role, User  # noqa: E402

call_command("check", fail_level="ERROR")
namespaces = sorted(get_resolver().namespace_dict)
admin = User.objects.create_user("admin", password="x", role=Role.ADMIN)
client = Client()
login = client.get("/masuk/")
client.force_login(admin)
home = client.get("/")
api_root = client.get("/api/v1/")
schema = client.get("/api/v1/schema/")

# The TPS page: every panel but the removed module's (core.tps_panels).
import datetime  # noqa: E402

from posko.elections.models import Election, Tps  # noqa: E402
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi  # noqa: E402

kabkota = KabKota.objects.create(code="35.73", name="Kota Malang",
                                 provinsi=Provinsi.objects.create(code="35", name="Jawa Timur"))
Pemda.objects.create(kabkota=kabkota, name="Pemerintah Kota Malang")
kelurahan = Kelurahan.objects.create(code="35.73.02.1001", name="Klojen", kecamatan=(
    Kecamatan.objects.create(code="35.73.02", kabkota=kabkota, name="Klojen")))
election = Election.objects.create(name="Pilkada", voting_date=datetime.date(2024, 11, 27),
                                   is_active=True)
tps = Tps.objects.create(election=election, kelurahan=kelurahan, number=1, dpt_men=1, dpt_women=1)
tps_page = client.get(f"/tps/{tps.pk}/")
# The executive dashboard (core.executive): whole, without the module's section.
from posko.core import executive  # noqa: E402

executive_page = client.get("/pimpinan/")
print(json.dumps({
    "namespaces": namespaces,
    "login": login.status_code,
    "home": home.status_code,
    "home_html": home.content.decode(),
    "login_html": login.content.decode(),
    "api_root": api_root.status_code,
    "api_keys": sorted(api_root.json()) if api_root.status_code == 200 else [],
    "schema": schema.status_code,
    "tps_page": tps_page.status_code,
    "tps_html": tps_page.content.decode(),
    "executive_page": executive_page.status_code,
    "executive_sections": [spec.key for spec in executive.registered()],
}))
sys.stdout.flush()
