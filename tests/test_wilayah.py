import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from posko.regions.importer import DATA_DIR, import_wilayah
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Pemda, Provinsi

pytestmark = pytest.mark.django_db


def test_only_one_kabkota_with_parents():
    result = import_wilayah(only="35.73")
    assert [level.created for level in result.levels] == [1, 1, 5, 57]
    assert Provinsi.objects.get().name == "Jawa Timur"
    assert KabKota.objects.get().name == "Kota Malang"
    assert sorted(Kecamatan.objects.values_list("name", flat=True)) == [
        "Blimbing", "Kedungkandang", "Klojen", "Lowokwaru", "Sukun"]
    assert Kelurahan.objects.filter(kecamatan__name="Klojen").count() == 11


def test_second_run_changes_nothing_and_rename_is_updated(tmp_path, capsys):
    import_wilayah(only="35.73")
    again = import_wilayah(only="35.73")
    assert again.changed == 0 and Kelurahan.objects.count() == 57
    # A renamed kelurahan in the source is updated, not duplicated.
    for name in ("provinces.csv", "regencies.csv", "districts.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    villages = (DATA_DIR / "villages.csv").read_text(encoding="utf-8")
    assert "35.73.02.1001,35.73.02,Klojen" in villages
    (tmp_path / "villages.csv").write_text(
        villages.replace("35.73.02.1001,35.73.02,Klojen", "35.73.02.1001,35.73.02,Klojen Baru"),
        encoding="utf-8")
    result = import_wilayah(only="35.73", data_dir=tmp_path)
    assert result.levels[-1].updated == 1 and result.levels[-1].created == 0
    assert Kelurahan.objects.get(code="35.73.02.1001").name == "Klojen Baru"
    assert Kelurahan.objects.count() == 57


def test_command_reports_and_refuses_bad_codes(capsys):
    call_command("import_wilayah", only="35.73")
    out = capsys.readouterr().out
    assert "57 created" in out
    call_command("import_wilayah", only="35.73")
    assert "Nothing changed." in capsys.readouterr().out
    with pytest.raises(CommandError, match="no such region"):
        call_command("import_wilayah", only="99")
    with pytest.raises(CommandError, match="give a Kemendagri code"):
        call_command("import_wilayah", only="35.73.x")


def test_set_pemda():
    import_wilayah(only="35.73")
    call_command("set_pemda", "35.73")
    assert Pemda.current().name == "Pemerintah Kota Malang"
    call_command("set_pemda", "35")
    Pemda.clear_cache()
    assert Pemda.current().provinsi_id == "35" and Pemda.current().kabkota_id is None
    with pytest.raises(CommandError, match="not a loaded"):
        call_command("set_pemda", "36.01")


def test_national_counts():
    result = import_wilayah()
    assert [level.created for level in result.levels] == [38, 514, 7285, 83762]
