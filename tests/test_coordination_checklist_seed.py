"""Posko's standard supervision checklists: one per stage of PKPU 2/2024, each item naming
its responsible agency; seeded idempotently into any election (page, command, demo),
audited, shown with the agencies on the pages, the export and the API."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from posko.accounts.models import Agency
from posko.coordination.models import SupervisionChecklist, SupervisionItem
from posko.coordination.services import checklist_seed
from posko.coordination.standard_checklists import CHECKLISTS
from posko.core.models import AuditEntry
from posko.demo.data import STAGES as DEMO_STAGES
from posko.demo.data import build_demo
from posko.elections.models import Election, Stage
from tests.conftest import PERSONA_NAMES

pytestmark = pytest.mark.django_db

DEMO_AGENCIES = (  # the demo's agencies (posko.demo.data.AGENCIES), short names
    ("Sekretariat Daerah", "Setda"), ("Badan Kesatuan Bangsa dan Politik", "Bakesbangpol"),
    ("Bagian Pemerintahan", "Bag. Pemerintahan"), ("Dinas Kesehatan", "Dinkes"),
    ("Dinas Perhubungan", "Dishub"), ("Satuan Polisi Pamong Praja", "Satpol PP"),
    ("Badan Penanggulangan Bencana Daerah", "BPBD"),
    ("Dinas Komunikasi dan Informatika", "Diskominfo"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "Dispendukcapil"),
    ("KPU Kota Malang", "KPU"), ("Bawaslu Kota Malang", "Bawaslu"),
    ("Polresta Malang Kota", "Polresta"))


def _agencies():
    for name, short in DEMO_AGENCIES:
        Agency.objects.update_or_create(name=name, defaults={"short_name": short})


def _stages(election, names_and_dates=DEMO_STAGES):
    return [Stage.objects.create(election=election, name=name, start_date=start, end_date=end)
            for name, start, end in names_and_dates]


def _seed_url(election):
    return reverse("coordination:checklist_seed", args=[election.pk])


# --- the demo: every stage has its checklist ----------------------------------------------------

def test_every_demo_stage_has_a_checklist_whose_items_name_an_agency():
    build_demo()
    election = Election.active()
    stages = list(Stage.objects.filter(election=election).order_by("start_date", "name"))
    assert len(stages) == 12
    for stage in stages:
        checklists = SupervisionChecklist.objects.filter(election=election, stage=stage)
        assert checklists.exists(), stage.name
        for checklist in checklists:
            items = list(checklist.items.prefetch_related("agencies"))
            assert len(items) >= 2, checklist.title
            for item in items:
                assert item.agencies.exists(), (checklist.title, item.text)
    assert SupervisionChecklist.objects.filter(election=election).count() == len(CHECKLISTS) == 13
    voting = SupervisionChecklist.objects.get(election=election, stage__name__startswith="Pemungutan")
    linmas = voting.items.get(text__startswith="Linmas hadir")
    assert [a.short_name for a in linmas.agencies.all()] == ["Satpol PP"]
    recap = SupervisionChecklist.objects.get(election=election,
                                             stage__name="Rekapitulasi tingkat kecamatan")
    assert recap.level == SupervisionChecklist.Level.KECAMATAN
    dpt = SupervisionChecklist.objects.get(election=election, stage__name__startswith="Pemutakhiran")
    assert "Dispendukcapil" in {a.short_name for i in dpt.items.all() for a in i.agencies.all()}
    # ASN neutrality: no kepegawaian office in the demo, so the Sekretariat Daerah answers.
    neutrality = SupervisionItem.objects.get(checklist__election=election,
                                             text__startswith="Tidak ada ASN atau perangkat")
    assert [a.short_name for a in neutrality.agencies.all()] == ["Setda"]


# --- seeding: idempotent, audited, for a new election -------------------------------------------

def test_seed_is_idempotent_and_leaves_an_edited_checklist_alone(world, users):
    _agencies()
    _stages(world.election)
    first = checklist_seed.seed(world.election, actor=users["admin"])
    assert first.created_checklists == 13 and not first.missing_agencies
    assert first.created_items == SupervisionItem.objects.count() > 40
    edited = SupervisionChecklist.objects.get(title__startswith="Kampanye")
    edited.items.order_by("order").first().delete()
    counts = (SupervisionChecklist.objects.count(), SupervisionItem.objects.count(),
              AuditEntry.objects.count())
    again = checklist_seed.seed(world.election, actor=users["admin"])
    assert (again.created_checklists, again.created_items, len(again.existing)) == (0, 0, 13)
    assert (SupervisionChecklist.objects.count(), SupervisionItem.objects.count(),
            AuditEntry.objects.count()) == counts


def test_admin_seeds_a_new_election_from_the_page_audited(world, users, personas):
    _agencies()
    new = Election.objects.create(name="Pilkada 2029", voting_date=datetime.date(2029, 11, 28))
    _stages(new, [(name, start.replace(year=2029), end.replace(year=2029))
                  for name, start, end in DEMO_STAGES])
    client = personas["admin"].client
    page = client.get(_seed_url(new))
    assert page.status_code == 200 and len(page.context["plan"].to_create) == 13
    assert "Linmas hadir di setiap TPS" in page.content.decode()
    response = client.post(_seed_url(new))
    assert response.status_code == 302
    seeded = SupervisionChecklist.objects.filter(election=new)
    assert seeded.count() == 13 and not SupervisionChecklist.objects.filter(
        election=world.election).exists()
    assert set(seeded.values_list("stage__election", flat=True)) == {new.pk}
    entries = AuditEntry.objects.filter(action="create", message="standard checklist")
    assert entries.count() == 13 + SupervisionItem.objects.filter(checklist__election=new).count()
    assert set(entries.values_list("username", flat=True)) == {"admin"}
    item_entry = entries.filter(object_repr__startswith="Linmas hadir di setiap TPS").get()
    assert item_entry.after["agencies"] == ["Satuan Polisi Pamong Praja"]
    page = client.get(_seed_url(new))
    assert not page.context["plan"].to_create
    assert '<form method="post" class="actions">' not in page.content.decode()  # no button


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_the_admin_may_seed(world, personas, persona):
    _stages(world.election)
    client = personas[persona].client
    expected = {"admin": 200, "anonymous": 302}.get(persona, 403)
    assert client.get(_seed_url(world.election)).status_code == expected
    response = client.post(_seed_url(world.election))
    assert response.status_code == {"admin": 302}.get(persona, expected)
    assert SupervisionChecklist.objects.exists() == (persona == "admin")


def test_seed_page_of_a_missing_election_is_404(world, personas):
    assert personas["admin"].client.get(reverse(
        "coordination:checklist_seed", args=[999999])).status_code == 404


def test_stages_and_agencies_not_found_are_reported_not_invented(world, users):
    Agency.objects.create(name="Satuan Polisi Pamong Praja", short_name="Satpol PP")
    Agency.objects.create(name="BKPSDM Kota Malang", short_name="BKPSDM")
    _stages(world.election, [
        ("Kampanye", datetime.date(2024, 9, 25), datetime.date(2024, 11, 23)),
        ("Penetapan pasangan calon", datetime.date(2024, 9, 22), datetime.date(2024, 9, 22)),
        ("Penetapan pasangan calon terpilih", datetime.date(2025, 1, 9),
         datetime.date(2025, 1, 9))])
    result = checklist_seed.seed(world.election, actor=users["admin"])
    by_title = {c.title: c for c in SupervisionChecklist.objects.select_related("stage")}
    assert by_title["Penetapan pasangan calon: situasi dan netralitas ASN"].stage.name == \
        "Penetapan pasangan calon"
    assert by_title["Penetapan hasil: situasi dan tindak lanjut"].stage.name == \
        "Penetapan pasangan calon terpilih"
    assert by_title["Masa tenang: alat peraga kampanye dibersihkan"].stage is None
    assert len(result.without_stage) == 10
    assert "Dinas Perhubungan" in result.missing_agencies
    assert "Satuan Polisi Pamong Praja" not in result.missing_agencies
    neutrality = SupervisionItem.objects.get(text__startswith="Tidak ada ASN atau perangkat")
    assert [a.short_name for a in neutrality.agencies.all()] == ["BKPSDM"]
    assert Agency.objects.count() == 3  # users' Dinkes + the two above: none invented
    with translation.override("id"):
        assert "instansi tidak ditemukan: " in result.summary()


def test_seed_command_dry_run_writes_nothing_then_seeds(world, users):
    _agencies()
    _stages(world.election)
    out = io.StringIO()
    call_command("seed_checklists", "--dry-run", stdout=out)
    assert "Kampanye: APK, tempat kampanye dan netralitas ASN: new, stage: Kampanye" in out.getvalue()
    assert not SupervisionChecklist.objects.exists()
    call_command("seed_checklists", "--as", "admin", stdout=io.StringIO())
    assert SupervisionChecklist.objects.count() == 13
    assert AuditEntry.objects.filter(message="standard checklist", username="admin").exists()


# --- agencies shown: page, export, API; scope unchanged -----------------------------------------

@pytest.fixture
def seeded(world, users):
    _agencies()
    _stages(world.election)
    checklist_seed.seed(world.election, actor=users["admin"])
    return SupervisionChecklist.objects.get(title__startswith="Hari pemungutan suara")


def test_detail_page_and_export_name_the_agencies(seeded, personas):
    body = personas["pemantau"].client.get(seeded.get_absolute_url()).content.decode()
    assert "Linmas hadir di setiap TPS" in body and "Satpol PP" in body
    response = personas["kelurahan_a"].client.get(reverse("coordination:checklist_list"),
                                                  {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "instansi penanggung jawab"
    linmas = next(r for r in rows if r[6].startswith("Linmas hadir di setiap TPS"))
    assert linmas[0].startswith("Pemungutan") and linmas[-1] == "Satuan Polisi Pamong Praja"
    assert len(rows) == 1 + SupervisionItem.objects.count()
    assert AuditEntry.objects.filter(action="export", object_repr="checklist-supervisi").exists()


def test_api_lists_checklists_with_items_and_agencies(seeded, personas, django_assert_max_num_queries):
    client = personas["agency"].client
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api:checklist-list"), {"page_size": 100})
    assert response.status_code == 200
    data = response.json()
    rows = data["results"] if isinstance(data, dict) else data
    assert len(rows) == 13
    voting = next(r for r in rows if r["id"] == seeded.pk)
    assert voting["stage_name"].startswith("Pemungutan") and voting["level"] == "kelurahan"
    first = voting["items"][0]
    assert first["text"].startswith("Linmas hadir") and first["agencies"] == [{
        "id": Agency.objects.get(short_name="Satpol PP").pk,
        "name": "Satuan Polisi Pamong Praja", "short_name": "Satpol PP"}]
    assert personas["anonymous"].client.get(reverse("api:checklist-list")).status_code in (401, 403)
    other = Election.objects.create(name="Lain", voting_date=datetime.date(2029, 1, 1))
    response = client.get(reverse("api:checklist-list"), {"election": other.pk})
    assert response.status_code == 200 and not (response.json().get("results", []))


def test_scope_of_a_seeded_checklist_is_unchanged(world, seeded, personas):
    """The lurah fills their own kelurahan only; another kelurahan is 404; the observer
    sees but may not fill (403); a kecamatan-level checklist is not the lurah's (403)."""
    def fill(checklist, code):
        return reverse("coordination:checklist_fill", args=[checklist.pk, code])
    assert personas["kelurahan_a"].client.get(fill(seeded, world.kel_a.code)).status_code == 200
    assert personas["kelurahan_a"].client.get(fill(seeded, world.kel_b.code)).status_code == 404
    assert personas["pemantau"].client.get(fill(seeded, world.kel_a.code)).status_code == 403
    recap = SupervisionChecklist.objects.get(title__startswith="Rekapitulasi di PPK")
    assert personas["kelurahan_a"].client.get(fill(recap, world.kec_a.code)).status_code == 403
    assert personas["kecamatan_a"].client.get(fill(recap, world.kec_a.code)).status_code == 200
    assert personas["kecamatan_a"].client.get(fill(recap, world.kec_b.code)).status_code == 404
