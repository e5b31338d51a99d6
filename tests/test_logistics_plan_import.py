"""Import of KPU's distribution plan (issue 4): CSV/XLSX, all or nothing with "Baris N,
kolom X" errors, re-import updates, only TPS of the importer's region, audited, and the
template, list and import pages as every persona."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from posko.core.models import AuditEntry
from posko.logistics.imports import PLAN_COLUMNS, PlanImporter
from posko.logistics.models import Item, PlannedDistribution
from tests.conftest import PERSONA_NAMES

pytestmark = pytest.mark.django_db

HEADER = "kode_kelurahan,nomor_tps,barang,jumlah,tanggal_rencana\n"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def items(world):
    e = world.election
    return {
        "kotak": Item.objects.create(election=e, code="kotak_suara", name="Kotak suara",
                                     norm=Item.Norm.PER_CONTEST),
        "tinta": Item.objects.create(election=e, code="tinta", name="Tinta Pemilu",
                                     norm=Item.Norm.PER_TPS, quantity=2),
        "lama": Item.objects.create(election=e, code="lama", name="Barang lama", is_active=False),
    }


def run(world, user, text: str, name="rencana.csv"):
    return PlanImporter(actor=user, election=world.election).run(text.encode(), name)


def errors(result) -> list[str]:
    return [str(e) for e in result.errors] or ([result.file_error] if result.file_error else [])


def test_a_plan_is_imported_and_audited(world, users, items):
    result = run(world, users["kecamatan_a"], HEADER
                 + "35.73.02.1001,1,kotak_suara,2,2024-11-25\n"
                 + "35.73.02.1002,TPS 001,Tinta Pemilu,2,25/11/2024\n")
    assert result.ok, errors(result)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    plan = {(p.tps_id, p.item.code): (p.quantity, p.planned_date, p.kecamatan_id, p.kelurahan_id)
            for p in PlannedDistribution.objects.select_related("item")}
    day = datetime.date(2024, 11, 25)
    assert plan == {
        (world.tps_a.pk, "kotak_suara"): (2, day, world.kec_a.code, world.kel_a.code),
        (world.tps_a2.pk, "tinta"): (2, day, world.kec_a.code, world.kel_a2.code)}
    created = AuditEntry.objects.filter(action="create", content_type__model="planneddistribution")
    assert created.count() == 2
    assert {e.kelurahan_code for e in created} == {world.kel_a.code, world.kel_a2.code}
    summary = AuditEntry.objects.get(action="import")
    assert summary.username == "kecamatan_a" and "2 rows" in summary.message


def test_re_import_updates_and_duplicates_nothing(world, users, items):
    text = HEADER + "35.73.02.1001,1,kotak_suara,2,2024-11-25\n35.73.02.1001,1,tinta,2,2024-11-25\n"
    assert run(world, users["admin"], text).created == 2
    result = run(world, users["admin"], HEADER + "35.73.02.1001,1,kotak_suara,3,2024-11-26\n"
                 "35.73.02.1001,1,tinta,2,2024-11-25\n")
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert PlannedDistribution.objects.count() == 2
    kotak = PlannedDistribution.objects.get(item=items["kotak"])
    assert (kotak.quantity, kotak.planned_date) == (3, datetime.date(2024, 11, 26))
    update = AuditEntry.objects.get(action="update", content_type__model="planneddistribution")
    assert update.before["quantity"] == 2 and update.after["quantity"] == 3
    assert update.before["planned_date"] == "2024-11-25"


def test_one_bad_row_saves_nothing_and_every_problem_is_named(world, users, items):
    result = run(world, users["kelurahan_a"], HEADER
                 + "35.73.02.1001,1,kotak_suara,2,2024-11-25\n"     # row 2: fine
                 + "35.73.01.1001,1,kotak_suara,2,2024-11-25\n"     # 3: kelurahan B
                 + "35.73.02.1001,1,payung,2,2024-11-25\n"          # 4: unknown item
                 + "35.73.02.1001,1,tinta,-2,2024-11-25\n"          # 5: negative
                 + "35.73.02.1001,1,tinta,2.5,2024-11-25\n"         # 6: not whole
                 + "35.73.02.1001,1,tinta,2,besok\n"                # 7: not a date
                 + "35.73.02.1001,1,Kotak Suara,1,2024-11-25\n"     # 8: same TPS + item as row 2
                 + "35.73.02.1001,9,tinta,2,2024-11-25\n"           # 9: no TPS 009
                 + "35.73.02.1001,1,lama,1,2024-11-25\n"            # 10: inactive item
                 + "35.73.02.1001,1,,1,2024-11-25\n")               # 11: item missing
    assert not result.ok
    assert errors(result) == [
        "Row 3, column nomor_tps: There is no TPS 001 in kelurahan 35.73.01.1001 within your "
        "region.",
        "Row 4, column barang: payung is not an item of this election's catalogue.",
        "Row 5, column jumlah: Must be at least 0.",
        "Row 6, column jumlah: '2.5' is not a whole number.",
        "Row 7, column tanggal_rencana: 'besok' is not a date (use 2024-11-25 or 25-11-2024).",
        "Row 8, column barang: Kotak suara for this TPS is already on row 2.",
        "Row 9, column nomor_tps: There is no TPS 009 in kelurahan 35.73.02.1001 within your "
        "region.",
        "Row 10, column barang: Barang lama is not an active item.",
        "Row 11, column barang: This value is required.",
    ]
    assert not PlannedDistribution.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["create", "import"]).exists()


def test_columns_are_checked_before_any_row(world, users, items):
    result = run(world, users["admin"], "barang,jumlah,tanggal_rencana\nkotak_suara,1,2024-11-25\n")
    assert "needs kode_kelurahan and nomor_tps columns (or an id_tps column)" in result.file_error
    result = run(world, users["admin"], "kode_kelurahan,nomor_tps,barang,jumlah\n")
    assert "Missing required column(s): tanggal_rencana." in result.file_error


def test_the_tps_may_be_named_by_its_id(world, users, items):
    result = run(world, users["admin"], "id_tps,barang,jumlah,tanggal_rencana\n"
                 f"{world.tps_b.pk},tinta,2,2024-11-24\n{world.tps_outside.pk},tinta,2,2024-11-24\n")
    assert errors(result) == [
        f"Row 3, column id_tps: TPS id {world.tps_outside.pk} is unknown or outside your region."]
    result = run(world, users["admin"], f"id_tps,barang,jumlah,tanggal_rencana\n"
                 f"{world.tps_b.pk},tinta,2,2024-11-24\n")
    assert result.ok and PlannedDistribution.objects.get().tps == world.tps_b


def test_read_only_roles_import_nothing(world, users, items):
    for name in ("pemantau", "agency"):
        result = run(world, users[name], HEADER + "35.73.02.1001,1,tinta,2,2024-11-25\n")
        assert "There is no TPS 001 in kelurahan 35.73.02.1001 within your region." in \
            errors(result)[0]
    assert not PlannedDistribution.objects.exists()


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_plan_with_date_cells(world, users, items):
    data = _xlsx([["Kode Kelurahan", "No TPS", "Kode Barang", "Jumlah", "Tanggal"],
                  ["35.73.02.1001", 1, "kotak_suara", 2, datetime.datetime(2024, 11, 25)],
                  ["3573020001", 1, "tinta", 2.0, datetime.date(2024, 11, 24)]])
    result = PlanImporter(actor=users["admin"], election=world.election).run(data, "plan.xlsx")
    assert errors(result) == ["Row 3, column nomor_tps: There is no TPS 001 in kelurahan "
                              "35.73.02.0001 within your region."]
    data = _xlsx([["kode_kelurahan", "nomor_tps", "barang", "jumlah", "tanggal_rencana"],
                  ["35.73.02.1001", 1, "kotak_suara", 2, datetime.datetime(2024, 11, 25)],
                  ["3573021001", 1, "tinta", 2.0, datetime.date(2024, 11, 24)]])
    result = PlanImporter(actor=users["admin"], election=world.election).run(data, "plan.xlsx")
    assert result.ok, errors(result)
    assert sorted(PlannedDistribution.objects.values_list("planned_date", flat=True)) == [
        datetime.date(2024, 11, 24), datetime.date(2024, 11, 25)]


# --- pages ---------------------------------------------------------------------------------------

def test_plan_pages_as_every_persona(world, personas, items):
    for name in PERSONA_NAMES:
        client = personas[name].client
        for url_name, writer_only in (("logistics:plan_list", False),
                                      ("logistics:plan_template", False),
                                      ("logistics:plan_import", True)):
            response = client.get(reverse(url_name))
            if name == "anonymous":
                assert response.status_code == 302 and response["Location"].startswith("/masuk/")
            elif writer_only and name in ("agency", "pemantau"):
                assert response.status_code == 403, (name, url_name)
            else:
                assert response.status_code == 200, (name, url_name)
        response = client.post(reverse("logistics:plan_import"), {
            "file": SimpleUploadedFile("p.csv", (HEADER + "35.73.02.1001,1,tinta,2,2024-11-25\n")
                                       .encode())})
        if name in ("agency", "pemantau"):
            assert response.status_code == 403


def test_importing_through_the_page(world, personas, items):
    client = english(personas["kelurahan_a"].client)
    url = reverse("logistics:plan_import")
    bad = SimpleUploadedFile("rencana.csv", (HEADER + "35.73.02.1001,1,tinta,x,2024-11-25\n").encode())
    response = client.post(url, {"file": bad})
    assert response.status_code == 400
    assert "Row 2, column jumlah: &#x27;x&#x27; is not a whole number." in response.content.decode()
    assert not PlannedDistribution.objects.exists()
    good = SimpleUploadedFile("rencana.csv", (HEADER + "35.73.02.1001,1,tinta,2,2024-11-25\n").encode())
    response = client.post(url, {"file": good})
    assert response.status_code == 302 and response["Location"] == reverse("logistics:plan_list")
    body = client.get(reverse("logistics:plan_list")).content.decode()
    assert "Tinta Pemilu</td>" in body and "TPS 001" in body
    # The list of another region does not show it; the export is the import format.
    assert "Tinta Pemilu</td>" not in personas["kelurahan_b"].client.get(
        reverse("logistics:plan_list")).content.decode()
    export = client.get(reverse("logistics:plan_list"), {"export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "kode_kelurahan,nomor_tps,id_tps,barang,jumlah,tanggal_rencana"
    assert lines[1] == f"35.73.02.1001,1,{world.tps_a.pk},tinta,2,2024-11-25"
    # Re-importing the exported file changes nothing.
    again = SimpleUploadedFile("export.csv", "\n".join(lines).encode())
    response = client.post(url, {"file": again}, follow=True)
    assert "0 created, 0 updated, 1 unchanged" in response.content.decode()


def test_the_template_has_every_column(world, personas):
    client = personas["pemantau"].client
    response = client.get(reverse("logistics:plan_template"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    header = [c.value for c in next(workbook.active.iter_rows())]
    assert header == [c.name for c in PLAN_COLUMNS]
    csv_response = client.get(reverse("logistics:plan_template"), {"format": "csv"})
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert text.startswith("no,kode_kelurahan,nomor_tps,id_tps,barang,jumlah,tanggal_rencana")
