"""The Kota Malang demo: calibrated to the official figures, deterministic, idempotent."""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter, defaultdict
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import translation

from posko.accounts.models import Agency, Role, User
from posko.core.models import AuditEntry
from posko.demo import data, places
from posko.demo.data import build_demo, generate_tps_rows
from posko.demo.management.commands.demo import Command
from posko.elections.models import CandidatePair, Contest, Election, Tps
from posko.elections.rules import check_coordinates
from posko.logistics.models import Shipment
from posko.regions.models import Kelurahan, Pemda
from posko.workers.models import Worker

BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU = (f"35.73.0{i}" for i in range(1, 6))
BUNULREJO, KEBONSARI = "35.73.01.1008", "35.73.04.1003"


@pytest.fixture(scope="module")
def rows():
    return generate_tps_rows()


def _per_kecamatan(rows):
    result = defaultdict(lambda: [0, 0])
    for row in rows:
        result[row["kecamatan_id"]][0] += 1
        result[row["kecamatan_id"]][1] += row["dpt_men"] + row["dpt_women"]
    return result


# --- the generator (no database) ------------------------------------------------------------


def test_rows_match_the_official_totals(rows):
    assert len(rows) == 1188
    assert sum(r["dpt_men"] for r in rows) == 323_167
    assert sum(r["dpt_women"] for r in rows) == 337_577
    assert sum(r["dpt_men"] + r["dpt_women"] for r in rows) == 660_744


def test_rows_match_the_official_kecamatan_figures(rows):
    per = _per_kecamatan(rows)
    assert per[KEDUNGKANDANG] == [280, 157_365]
    assert per[KLOJEN] == [141, 77_233]
    rest = [per[code] for code in (BLIMBING, SUKUN, LOWOKWARU)]
    assert sum(tps for tps, _ in rest) == 767
    assert sum(dpt for _, dpt in rest) == 426_146
    for tps, dpt in rest:  # a plausible split: each of the three has a fair share
        assert 200 <= tps <= 300 and 500 <= dpt / tps <= 600


def test_every_tps_has_a_realistic_size(rows):
    for row in rows:
        total = row["dpt_men"] + row["dpt_women"]
        assert total <= 600
        assert row["dpt_men"] >= 0 and row["dpt_women"] >= 0
        if not row["special_location"]:
            assert total >= 150
            assert 0.4 <= row["dpt_men"] / total <= 0.6


def test_every_kelurahan_has_tps_numbered_from_one(rows):
    numbers = defaultdict(list)
    for row in rows:
        if not row["special_location"]:
            numbers[row["kelurahan_id"]].append(row["number"])
    assert len(numbers) == 57
    for kelurahan, found in numbers.items():
        assert found == list(range(1, len(found) + 1)), kelurahan
        assert kelurahan.startswith("35.73.0")
    keys = [(r["kelurahan_id"], r["number"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)


def test_six_lapas_tps_in_the_right_kelurahan(rows):
    lapas = [r for r in rows if r["special_location"]]
    assert len(lapas) == 6
    assert {r["special_location"] for r in lapas} == {"lapas"}
    assert all(r["special_location_note"] for r in lapas)
    kelas_i = [r for r in lapas if r["kelurahan_id"] == BUNULREJO]
    perempuan = [r for r in lapas if r["kelurahan_id"] == KEBONSARI]
    assert [r["number"] for r in kelas_i] == [901, 902, 903, 904, 905]
    assert sum(r["dpt_men"] for r in kelas_i) == 2573 and sum(r["dpt_women"] for r in kelas_i) == 0
    assert [r["number"] for r in perempuan] == [901]
    assert perempuan[0]["dpt_men"] == 0 and perempuan[0]["dpt_women"] > 0
    assert "Lapas Kelas I Malang" in kelas_i[0]["special_location_note"]
    assert "Lapas Perempuan" in perempuan[0]["special_location_note"]


def test_addresses_and_coordinates_are_plausible(rows):
    for row in rows:
        assert check_coordinates(row["latitude"], row["longitude"]) == []
        # Kota Malang lies within about 7.90-8.06 S, 112.57-112.70 E.
        assert -8.06 <= float(row["latitude"]) <= -7.90
        assert 112.57 <= float(row["longitude"]) <= 112.70
        assert "Lapas" in row["address"] if row["special_location"] else "Jl. " in row["address"]
        if not row["special_location"]:
            assert row["rt"].isdigit() and row["rw"].isdigit() and len(row["rt"]) == 3
    # Kecamatan lie where they are: Lowokwaru north-west of Kedungkandang.
    lat = defaultdict(list)
    for row in rows:
        lat[row["kecamatan_id"]].append(float(row["latitude"]))
    assert max(lat[LOWOKWARU]) > min(lat[KEDUNGKANDANG])
    assert sum(lat[LOWOKWARU]) / len(lat[LOWOKWARU]) > sum(lat[KEDUNGKANDANG]) / len(lat[KEDUNGKANDANG])


def test_rows_are_deterministic(rows):
    assert generate_tps_rows() == rows
    other = generate_tps_rows(seed=1)
    assert other != rows
    # Any seed keeps the official figures.
    assert sum(r["dpt_men"] for r in other) == 323_167
    assert _per_kecamatan(other) == _per_kecamatan(rows)


def test_helpers():
    assert places.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(places.apportion(1188, [0.3, 1.7, 2.2], minimum=4)) == 1188
    values = places.fit_sum([10, 10, 10], 50, [0, 0, 0], [20, 20, 20], random.Random(1))
    assert sum(values) == 50 and max(values) <= 20
    with pytest.raises(ValueError):
        places.fit_sum([1, 1], 100, [0, 0], [10, 10], random.Random(1))


# --- the build (database) -------------------------------------------------------------------


def _snapshot():
    return list(Tps.objects.order_by("kelurahan_id", "number").values_list(
        "id", "election_id", "kelurahan_id", "kecamatan_id", "kabkota_id", "number", "address",
        "rt", "rw", "latitude", "longitude", "dpt_men", "dpt_women", "dpt_total",
        "special_location", "special_location_note", "accessible", "notes"))


def test_build_demo(db):
    result = build_demo()
    assert result.tps == 1188 and result.lokasi_khusus == 6
    assert (result.dpt_men, result.dpt_women, result.dpt_total) == (323_167, 337_577, 660_744)
    assert (result.kecamatan, result.kelurahan) == (5, 57)

    pemda = Pemda.current()
    assert pemda.kabkota_id == "35.73" and pemda.name == "Pemerintah Kota Malang"
    assert Kelurahan.objects.count() == 57  # only Kota Malang (and its parents) were loaded

    election = Election.active()
    assert election.name == "Pilkada Serentak 2024" and str(election.voting_date) == "2024-11-27"
    assert election.max_voters_per_tps == 600 and float(election.ballot_reserve_percent) == 2.5
    walikota = Contest.objects.get(election=election, level="walikota")
    gubernur = Contest.objects.get(election=election, level="gubernur")
    assert (walikota.name, walikota.kabkota_id, walikota.provinsi_id, walikota.ballot_colour) == (
        "Wali Kota Malang", "35.73", "35", "hijau tosca")
    assert (gubernur.name, gubernur.kabkota_id, gubernur.provinsi_id, gubernur.ballot_colour) == (
        "Gubernur Jawa Timur", None, "35", "merah marun")
    assert [str(p) for p in walikota.pairs.all()] == [
        "1. Wahyu Hidayat – Ali Muthohirin", "2. Heri Cahyono – Ganis Rumpoko",
        "3. M. Anton – Dimyati Ayatulloh"]
    assert [p.head_name for p in gubernur.pairs.all()] == [
        "Luluk Nur Hamidah", "Khofifah Indar Parawansa", "Tri Rismaharini"]
    assert walikota.pairs.get(ballot_number=1).party_list[0] == "Gerindra"

    tps = Tps.objects.filter(election=election)
    assert tps.count() == 1188
    assert tps.aggregate(total=Sum("dpt_total"))["total"] == 660_744
    assert tps.filter(kecamatan_id=KEDUNGKANDANG).aggregate(t=Sum("dpt_total"))["t"] == 157_365
    assert tps.filter(kecamatan_id=KLOJEN).count() == 141
    assert tps.filter(kabkota_id="35.73").count() == 1188
    assert tps.filter(dpt_total__gt=600).count() == 0
    assert set(tps.filter(special_location="lapas").values_list("kelurahan_id", flat=True)) == {
        BUNULREJO, KEBONSARI}
    for row in tps.values("kelurahan_id", "kecamatan_id"):
        assert row["kelurahan_id"].startswith(row["kecamatan_id"] + ".")

    assert Agency.objects.filter(kind="perangkat_daerah").count() == 9
    assert Agency.objects.filter(kind="mitra").count() == 5
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_demo_users_have_their_role_and_scope(db):
    build_demo()
    users = {u.username: u for u in User.objects.all()}
    assert set(users) == {"admin", "camat.klojen", "lurah.kauman", "lurah.jodipan", "dinkes",
                          "bawaslu"}
    for user in users.values():
        assert user.check_password(data.DEMO_PASSWORD)
        assert user.is_active and not user.is_superuser
    admin = users["admin"]
    assert admin.role == Role.ADMIN and admin.is_staff and admin.is_desk_admin
    camat = users["camat.klojen"]
    assert camat.role == Role.KECAMATAN and camat.scope_kecamatan_id == KLOJEN
    assert "Klojen" in camat.scope_label
    kauman = users["lurah.kauman"]
    assert kauman.role == Role.KELURAHAN and kauman.kelurahan.name == "Kauman"
    assert (kauman.scope_kecamatan_id, kauman.scope_kelurahan_id) == (KLOJEN, "35.73.02.1007")
    assert "Kauman" in kauman.scope_label
    jodipan = users["lurah.jodipan"]
    assert jodipan.kelurahan.name == "Jodipan" and jodipan.scope_kecamatan_id == BLIMBING
    dinkes = users["dinkes"]
    assert dinkes.role == Role.AGENCY and dinkes.agency.name == "Dinas Kesehatan"
    assert dinkes.scope_label == "Dinkes"
    bawaslu = users["bawaslu"]
    assert bawaslu.role == Role.PEMANTAU and not bawaslu.is_staff and not bawaslu.can_edit_registry
    # Scope works on the demo rows: the lurah of Kauman sees only Kauman's TPS.
    visible = Tps.objects.visible_to(kauman)
    assert visible.count() == Tps.objects.filter(kelurahan_id="35.73.02.1007").count() > 0
    assert Tps.objects.visible_to(camat).count() == 141


def test_second_build_changes_nothing(db):
    first = build_demo()
    before = _snapshot()
    users_before = list(User.objects.order_by("username").values_list(
        "username", "password", "role", "kecamatan_id", "kelurahan_id", "agency_id"))
    second = build_demo()
    assert first.changed and not second.changed
    assert (second.tps_created, second.tps_reset, second.tps_removed) == (0, 0, 0)
    assert _snapshot() == before
    assert list(User.objects.order_by("username").values_list(
        "username", "password", "role", "kecamatan_id", "kelurahan_id", "agency_id")) == users_before
    assert Election.objects.count() == 1 and Contest.objects.count() == 2
    assert CandidatePair.objects.count() == 6 and Agency.objects.count() == 19
    assert AuditEntry.objects.filter(action="import").count() == 1


def test_rebuild_resets_what_was_changed(db):
    build_demo()
    before = _snapshot()
    election = Election.active()
    edited = Tps.objects.get(kelurahan_id=KEBONSARI, number=1)
    edited.dpt_men, edited.address = 1, "diubah"
    edited.save()
    # A TPS with shipments or posted workers cannot be deleted (PROTECT): clear them first.
    Shipment.objects.filter(tps__kelurahan_id=KEBONSARI, tps__number=2).delete()
    Worker.objects.filter(tps__kelurahan_id=KEBONSARI, tps__number=2).update(replaces=None)
    Worker.objects.filter(tps__kelurahan_id=KEBONSARI, tps__number=2).delete()
    Tps.objects.get(kelurahan_id=KEBONSARI, number=2).delete()
    Tps.objects.create(election=election, kelurahan_id=KEBONSARI, number=99, dpt_men=10)
    kauman = User.objects.get(username="lurah.kauman")
    kauman.set_password("lain")
    kauman.role = Role.PEMANTAU
    kauman.save()
    other = Election.objects.create(name="Lain", voting_date="2029-11-27")
    Election.objects.filter(pk=election.pk).update(is_active=False)
    Election.objects.filter(pk=other.pk).update(is_active=True)

    result = build_demo()
    assert (result.tps_created, result.tps_reset, result.tps_removed) == (1, 1, 1)
    after = _snapshot()
    assert [row[1:] for row in after] == [row[1:] for row in before]  # same data
    assert after[0][0] == before[0][0]  # untouched TPS keep their id
    kauman = User.objects.get(username="lurah.kauman")
    assert kauman.role == Role.KELURAHAN and kauman.check_password(data.DEMO_PASSWORD)
    assert Election.active().pk == election.pk
    assert AuditEntry.objects.filter(action="import").count() == 2


def test_command_builds_and_prints_the_users(db, monkeypatch):
    served = []
    monkeypatch.setattr(Command, "serve", lambda self, addrport: served.append(addrport))
    out = io.StringIO()
    call_command(Command(), "--no-serve", stdout=out)
    text = out.getvalue()
    assert served == []
    assert "posko-demo-2024" in text and "1.188 TPS" in text and "660.744" in text
    # Indonesian through and through (LANGUAGE_CODE id): no "men/women", "Users", "Open".
    assert "323.167 laki-laki, 337.577 perempuan" in text and "Pengguna (kata sandi" in text
    for english in (" men", "women", "Users", "password", "Open ", "built", "up to date"):
        assert english not in text, english
    for username in ("admin", "camat.klojen", "lurah.kauman", "lurah.jodipan", "dinkes", "bawaslu"):
        assert username in text
    assert "Klojen" in text and "Dinkes" in text
    assert Tps.objects.count() == 1188

    out = io.StringIO()
    call_command(Command(), "--addrport", "0.0.0.0:8123", stdout=out)
    assert served == ["0.0.0.0:8123"]
    assert "http://127.0.0.1:8123/" in out.getvalue()
    assert "sudah mutakhir" in out.getvalue()
    assert Counter(Tps.objects.values_list("special_location", flat=True))["lapas"] == 6


def test_demo_has_the_pkpu_schedule_and_home_shows_the_stage(db):
    build_demo()
    election = Election.active()
    campaign = election.stages.get(name="Kampanye")
    assert (campaign.start_date, campaign.end_date) == (datetime.date(2024, 9, 25),
                                                        datetime.date(2024, 11, 23))
    assert campaign.status(datetime.date(2024, 10, 9)) == "ongoing"
    client = Client()
    client.force_login(User.objects.get(username="camat.klojen"))
    # The day of the Pemkot's readiness meeting (seed article): H-49, campaign running.
    with mock.patch("posko.core.clock.today", return_value=datetime.date(2024, 10, 9)):
        page = client.get(reverse("home")).content.decode()
    assert "H-49" in page and "Kampanye" in page
    assert ">141<" in page  # Klojen's TPS only


def test_banner_is_in_the_site_language():
    """The summary after the build speaks the site's language, never a mix (issue 8)."""
    result = SimpleNamespace(changed=False, tps_kept_extra=2, kecamatan=5, kelurahan=57, tps=1188,
                             lokasi_khusus=6, dpt_total=660_744, dpt_men=323_167,
                             dpt_women=337_577, users=[])
    for language, expected, foreign in [
            ("id", ["sudah mutakhir; 2 TPS tambahan dipertahankan", "Buka http://127.0.0.1:8000/",
                    "DPT 660.744 (323.167 laki-laki, 337.577 perempuan)", "Demo Posko"],
             [" men", "women", "Users", "Open ", "up to date", "extra TPS"]),
            ("en", ["already up to date; 2 extra TPS kept", "Open http://127.0.0.1:8000/",
                    "DPT 660,744 (323,167 men, 337,577 women)", 'Users (password "'],
             ["laki-laki", "perempuan", "Pengguna", "Buka "])]:
        out = io.StringIO()
        with translation.override(language):
            Command(stdout=out).banner(result, "127.0.0.1:8000", serving=True)
        text = out.getvalue()
        for part in expected:
            assert part in text, (language, part, text)
        for part in foreign:
            assert part not in text, (language, part, text)
