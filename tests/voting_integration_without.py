"""Run by tests/test_voting_integration.py in a fresh interpreter: Posko without the voting or
the logistics module (``POSKO_TEST_WITHOUT``). Migrates an in-memory database, records an
outreach turnout entry (and, with voting present, a C.Hasil), renders the outreach turnout
pages and prints one JSON line with what it saw."""

import datetime
import json
import sys

from without_boot import boot  # noqa: E402 - this script's folder is on sys.path

removed = boot()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from posko.accounts.models import Role, User  # noqa: E402
from posko.core import requirements, turnout  # noqa: E402
from posko.elections.models import CandidatePair, Contest, Election, Tps  # noqa: E402
from posko.outreach.services import save_turnout  # noqa: E402
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi  # noqa: E402

jatim = Provinsi.objects.create(code="35", name="Jawa Timur")
malang = KabKota.objects.create(code="35.73", provinsi=jatim, name="Kota Malang")
kec = Kecamatan.objects.create(code="35.73.02", kabkota=malang, name="Klojen")
kel = Kelurahan.objects.create(code="35.73.02.1001", kecamatan=kec, name="Klojen")
Pemda.objects.create(kabkota=malang, name="Pemerintah Kota Malang")
election = Election.objects.create(name="Pilkada Serentak 2024",
                                   voting_date=datetime.date(2024, 11, 27), is_active=True)
tps = Tps.objects.create(election=election, kelurahan=kel, number=1, dpt_men=200, dpt_women=210,
                         address="Jl. Contoh 1")
contest = Contest.objects.create(election=election, name="Wali Kota Malang", level="walikota",
                                 provinsi_id="35", kabkota_id="35.73")
for n in (1, 2, 3):
    CandidatePair.objects.create(contest=contest, ballot_number=n, head_name=f"Calon {n}",
                                 deputy_name=f"Wakil {n}")
admin = User.objects.create_user("admin", password="x", role=Role.ADMIN)
save_turnout(tps, {"voted_dpt": 205}, actor=admin)  # 50.00 % of 410
seen = {"ballots_available": requirements.available(), "turnout_available": turnout.available()}

if apps.is_installed("posko.voting"):
    from posko.voting import services

    voting_time = timezone.make_aware(datetime.datetime(2024, 11, 27, 14, 0))
    # 420 ballots where logistics would require 421: no check without logistics.
    result = services.submit_result(tps, contest, actor=admin, election=election, values={
        "voters_dpt": 300, "voters_dptb": 5, "voters_dpk": 3, "valid": 300, "invalid": 8,
        "ballots_received": 420, "ballots_used": 308, "ballots_unused": 110,
        "ballots_damaged": 2, "registered_dptb": 5, "registered_dpk": 3},
        votes={1: 120, 2: 100, 3: 80}, now=voting_time)
    seen.update(checks=result.checks, status=result.status)

client = Client()
client.force_login(admin)
client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
page = client.get(reverse("outreach:turnout"))
html = page.content.decode()
row = html.split(f'data-kelurahan="{kel.code}"')[1].split("</tr>")[0]
seen.update(
    turnout_page=page.status_code,
    kelurahan_page=client.get(reverse("outreach:turnout_kelurahan", args=[kel.code])).status_code,
    contest_choice='name="contest"' in html,
    own_source_note="Source: the turnout entered in outreach" in html,
    turnout="73.68" if "73.68%" in row else "50.00" if "50.00%" in row else row,
)
print(json.dumps(seen))
sys.stdout.flush()
