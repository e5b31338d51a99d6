"""Three sources side by side per TPS × contest: KPU's per-TPS files (JSON, zip, CSV) imported
as the third source with per-file errors and nothing half-saved; agreement, differences and
NIST statuses; the verifier's choice, correction and recount with a reason, optimistic
locking, the counted entry moved with rollup.apply; who may verify; the queue."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from posko.core.models import Job
from posko.voting import rollup, services
from posko.voting.imports import KpuImporter
from posko.voting.models import Reconciliation, TpsResult
from posko.voting.services import verify
from tests.conftest import client_for, table
from tests.voting_fixtures import (
    GOOD,
    VOTES,
    at,
    in_english,  # noqa: F401 (autouse fixture)
    make_contests,
)

pytestmark = pytest.mark.django_db





@pytest.fixture
def contests(world):
    return make_contests(world, "walikota", "gubernur")




def submit(world, users, contest, votes=None, who="kelurahan_a", source="pemda", tps=None,
           **extra):
    return services.submit_result(tps or world.tps_a, contest, actor=users[who],
                                  election=world.election, values=extra.pop("values", GOOD),
                                  votes=VOTES if votes is None else votes, source=source,
                                  now=extra.pop("now", at(14)), **extra)


def kpu_json(votes=(120, 100, 80), valid=300, invalid=8, dpt=300, dptb=5, dpk=3,
             ts="2024-11-27 18:44:00", images=("https://sirekap.example/c1-1.jpg",)):
    return json.dumps({
        "chart": {"100001": votes[0], "100002": votes[1], "100003": votes[2], "null": None},
        "images": [*images, None],
        "administrasi": {"suara_sah": valid, "suara_tidak_sah": invalid,
                         "suara_total": valid + invalid, "pengguna_dpt_j": dpt,
                         "pengguna_dptb_j": dptb, "pengguna_non_dpt_j": dpk,
                         "pengguna_total_j": dpt + dptb + dpk, "pemilih_dpt_j": 410},
        "psu": None, "ts": ts, "status_suara": True, "status_adm": True}).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def run_import(world, users, data, name="kpu.zip", contest=None, mapping=""):
    importer = KpuImporter(actor=users["admin"], election=world.election,
                           contest=contest.pk if contest else None, mapping=mapping)
    return importer.run(data, name)


TPS_A = "pkwkk/35/3573/357302/3573021001/3573021001001.json"
TPS_B = "pkwkk/35/3573/357301/3573011001/3573011001001.json"


# --- KPU import ---------------------------------------------------------------------------

def test_kpu_zip_is_imported_as_the_third_source(world, users, contests):
    result = run_import(world, users, zipped({TPS_A: kpu_json(), TPS_B: kpu_json(dpt=290)}))
    assert result.ok and (result.created, result.updated, result.unchanged) == (2, 0, 0)
    entry = TpsResult.objects.get(tps=world.tps_a, source="kpu")
    assert (entry.contest, entry.votes, entry.valid, entry.invalid) == (
        contests[0], {"1": 120, "2": 100, "3": 80}, 300, 8)
    assert (entry.voters_dpt, entry.voters_dptb, entry.voters_dpk, entry.ballots_used) == (
        300, 5, 3, 308)
    assert entry.ballots_received is None and entry.ballots_unused is None
    assert entry.external_ref == "3573021001001.json@2024-11-27 18:44:00"
    assert entry.evidence["images"] == ["https://sirekap.example/c1-1.jpg"]
    assert len(entry.evidence["sha256"]) == 64 and entry.evidence["status_suara"] is True
    assert (entry.status, entry.checks, entry.is_counted) == ("tercatat", [], False)
    rec = Reconciliation.objects.get(tps=world.tps_a, contest=contests[0])
    assert (rec.agreement, rec.status, rec.counted) == ("single", "unofficial_partial", None)


def test_reimport_changes_nothing_and_a_changed_file_adds_a_version(world, users, contests):
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    again = run_import(world, users, zipped({TPS_A: kpu_json()}))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert TpsResult.objects.filter(source="kpu").count() == 1
    changed = run_import(world, users, zipped({TPS_A: kpu_json(votes=(117, 103, 80),
                                                              ts="2024-11-28 09:10:00")}))
    assert (changed.created, changed.updated) == (0, 1)
    old, new = TpsResult.objects.filter(source="kpu").order_by("version")
    assert (old.is_current, new.is_current, new.version) == (False, True, 2)
    assert new.reason == "KPU memperbarui data 2024-11-28 09:10:00"
    assert new.votes == {"1": 117, "2": 103, "3": 80} and old.votes["1"] == 120


def test_bad_files_are_each_named_and_nothing_is_saved(world, users, contests):
    data = zipped({
        TPS_A: kpu_json(),
        "3573021009001.json": kpu_json(),  # no such kelurahan
        "3573011001002.json": kpu_json(),  # kelurahan B has one TPS only
        "pkwkk/3573021002001.json": b'{"chart": {"100001": 1,',
        "../../etc/3573021001001.json": kpu_json(),
        "lain/3573021002001.json": b'{"hello": 1}',
    })
    result = run_import(world, users, data, contest=contests[0])
    messages = sorted(str(e) for e in result.errors)
    assert messages == [
        "File ../../etc/3573021001001.json: Unsafe path in the zip (it points outside the "
        "folder): refused.",
        "File 3573011001002.json: There is no TPS 002 in kelurahan 35.73.01.1001 within your "
        "region.",
        "File 3573021009001.json: There is no TPS 001 in kelurahan 35.73.02.1009 within your "
        "region.",
        "File lain/3573021002001.json: This is not a KPU TPS result file: it has no “chart” "
        "and “administrasi”.",
        "File pkwkk/3573021002001.json: The file is not valid JSON (line 1, column 24: "
        "Expecting property name enclosed in double quotes).",
    ]
    assert not TpsResult.objects.exists() and not Reconciliation.objects.exists()


def test_unknown_candidate_id_and_wrong_counts(world, users, contests):
    content = json.loads(kpu_json())
    content["chart"]["100009"] = 5
    result = run_import(world, users, zipped({TPS_A: json.dumps(content).encode()}),
                        mapping="100001=1, 100002=2, 100003=3")
    assert [str(e) for e in result.errors] == [
        f"File {TPS_A}: Candidate id 100009 is not in the mapping of candidate ids to ballot "
        "numbers (100001=1, 100002=2, 100003=3)."]
    result = run_import(world, users, zipped({TPS_A: json.dumps(content).encode()}))
    assert [str(e) for e in result.errors] == [
        f"File {TPS_A}: Wali Kota Malang has 3 pairs but the file has 4 candidate ids: give "
        "the mapping of candidate ids to ballot numbers."]
    content = json.loads(kpu_json())
    content["administrasi"]["suara_sah"] = "banyak"
    result = run_import(world, users, zipped({TPS_A: json.dumps(content).encode()}))
    assert [str(e) for e in result.errors] == [
        f"File {TPS_A}: suara_sah is \"banyak\", not a whole number from 0 to 100000."]
    assert not TpsResult.objects.exists()


def test_mapping_reorders_and_a_paslon_file_is_read(world, users, contests):
    paslon = json.dumps({"100001": {"nama": "A", "nomor_urut": 3},
                         "100002": {"nama": "B", "nomor_urut": 1},
                         "100003": {"nama": "C", "nomor_urut": 2}}).encode()
    result = run_import(world, users, zipped({"paslon/pkwkk.json": paslon, TPS_A: kpu_json()}))
    assert result.ok
    assert TpsResult.objects.get(source="kpu").votes == {"1": 100, "2": 80, "3": 120}


def test_unpublished_files_are_skipped_and_a_zip_bomb_refused(world, users, contests,
                                                             settings):
    empty = json.dumps({"chart": None, "images": [None], "administrasi": None, "psu": None,
                        "ts": "2024-11-27 15:00:00", "status_suara": False}).encode()
    result = run_import(world, users, zipped({TPS_A: empty}))
    assert result.ok and result.skipped == 1 and "1 without KPU numbers yet" in result.summary()
    settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES = 100_000
    bomb = zipped({TPS_A: kpu_json() + b" " * 200_000})
    result = run_import(world, users, bomb)
    assert result.file_error == ("The zip would unpack to 0 MB, more than the 0 MB allowed: "
                                 "it is refused (a zip bomb or the wrong folder).")
    big = zipped({TPS_A: kpu_json() + b" " * 300_000})
    settings.POSKO_IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000_000
    result = run_import(world, users, big)
    assert [str(e) for e in result.errors] == [f"File {TPS_A}: The file is larger than 256 KB."]
    assert not TpsResult.objects.exists()


def test_csv_import_one_row_per_tps_and_contest(world, users, contests):
    csv = (b"kode_kelurahan,nomor_tps,kontes,suara_1,suara_2,suara_3,suara_sah,suara_tidak_sah,"
           b"pengguna_dpt,pengguna_dptb,pengguna_dpk\n"
           b"35.73.02.1001,1,walikota,120,100,80,300,8,300,5,3\n"
           b"35.73.02.1001,1,gubernur,100,100,100,300,8,300,5,3\n")
    result = run_import(world, users, csv, name="kpu.csv")
    assert result.ok and result.created == 2
    assert TpsResult.objects.get(source="kpu", contest=contests[0]).external_ref == "kpu.csv#2"
    bad = (b"kode_kelurahan,nomor_tps,kontes,suara_1,suara_2,suara_sah,suara_tidak_sah,"
           b"pengguna_dpt\n35.73.02.1001,1,walikota,120,100,300,8,300\n"
           b"35.73.02.1001,7,walikota,120,100,300,8,300\n")
    result = run_import(world, users, bad, name="kpu.csv")
    assert [str(e) for e in result.errors] == [
        "Row 2: The votes of pair 3 are missing.",
        "Row 3: There is no TPS 007 in kelurahan 35.73.02.1001 within your region."]
    assert TpsResult.objects.filter(source="kpu").count() == 2


def test_the_import_page_runs_a_background_job(world, users, contests,
                                               django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users["admin"])
    client.cookies["django_language"] = "en"
    files = [SimpleUploadedFile("3573021001001.json", kpu_json(), "application/json"),
             SimpleUploadedFile("3573011001001.json", b"{oops", "application/json")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/pemungutan/verifikasi/impor-kpu/",
                               {"file": files, "contest": contests[0].pk, "mapping": ""})
    job = Job.objects.get(kind="core.import")
    assert response.status_code == 302 and job.status == "failed"
    assert job.result["errors"] == [[2, "3573011001001.json", "The file is not valid JSON "
                                     "(line 1, column 2: Expecting property name enclosed in "
                                     "double quotes)."]]
    assert not TpsResult.objects.exists()
    assert client_for(users["kecamatan_a"]).get(
        "/pemungutan/verifikasi/impor-kpu/").status_code == 403


# --- agreement, differences, statuses -------------------------------------------------------

def rec_of(world, contest, tps=None):
    return Reconciliation.objects.get(tps=tps or world.tps_a, contest=contest)


def test_agreement_differences_and_nist_statuses(world, users, contests):
    walikota = contests[0]
    submit(world, users, walikota)
    rec = rec_of(world, walikota)
    assert (rec.agreement, rec.status, rec.counted.source) == ("single", "unofficial_partial",
                                                                "pemda")
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    rec = rec_of(world, walikota)
    assert (rec.agreement, rec.status, rec.differences) == ("agree", "unofficial_complete", [])
    submit(world, users, walikota, votes={1: 120, 2: 17, 3: 80}, source="saksi",
           values={**GOOD, "valid": 217, "ballots_used": 225, "voters_dpt": 217})
    rec = rec_of(world, walikota)
    assert (rec.agreement, rec.status) == ("disagree", "unofficial_partial")
    assert [verify_describe(d) for d in rec.differences] == [
        "Voters from the DPT: Pemda 300, saksi 217, KPU 300",
        "Valid votes: Pemda 300, saksi 217, KPU 300",
        "Ballots used: Pemda 308, saksi 225, KPU 308",
        "Pair 2: Pemda 100, saksi 17, KPU 100"]
    assert rec.differences[-1]["pairs"] == [["pemda", "saksi"], ["saksi", "kpu"]]


def verify_describe(difference):
    from posko.voting.services.reconcile import describe

    return describe(difference)


def test_a_failed_check_keeps_it_partial_and_a_corrected_entry_is_a_correction(world, users,
                                                                               contests):
    walikota = contests[0]
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})
    rec = rec_of(world, walikota)
    assert (rec.agreement, rec.status) == ("disagree", "unofficial_partial")
    submit(world, users, walikota, reason="Salah ketik: 880 seharusnya 80.", now=at(15))
    rec = rec_of(world, walikota)
    assert (rec.agreement, rec.status, rec.counted.version) == ("agree", "correction", 2)


# --- the verifier ----------------------------------------------------------------------------

def test_choose_needs_a_reason_moves_the_counted_entry_and_calls_rollup(world, users, contests,
                                                                        monkeypatch):
    walikota = contests[0]
    pemda = submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    kpu = TpsResult.objects.get(source="kpu")
    rec = rec_of(world, walikota)
    with pytest.raises(ValidationError) as error:
        verify.choose(world.tps_a, walikota, kpu.pk, actor=users["kecamatan_a"], reason=" ",
                      version=rec.version)
    assert error.value.message_dict == {"reason": ["Give the reason for this decision."]}
    calls = []
    monkeypatch.setattr(rollup, "apply", lambda removed, added: calls.append((removed, added)))
    rec = verify.choose(world.tps_a, walikota, kpu.pk, actor=users["kecamatan_a"],
                        reason="Sesuai foto C.Hasil.", version=rec.version)
    assert [(r.pk, a.pk) for r, a in calls] == [(pemda.pk, kpu.pk)]
    assert list(TpsResult.objects.filter(is_counted=True).values_list("pk", flat=True)) == [
        kpu.pk]
    assert (rec.agreement, rec.status, rec.counted_id, rec.verified_by) == (
        "verified", "unofficial_complete", kpu.pk, users["kecamatan_a"])
    with pytest.raises(ValidationError) as error:  # a stale page
        verify.choose(world.tps_a, walikota, pemda.pk, actor=users["admin"], reason="x",
                      version=rec.version - 1)
    assert error.value.messages == [
        f"The sources of this TPS changed while you were looking (now version {rec.version}, "
        f"you saw version {rec.version - 1}): look at them again."]


def test_correct_adds_a_pemda_version_and_recount_holds_until_a_decision(world, users, contests,
                                                                        monkeypatch):
    walikota = contests[0]
    submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})
    rec = rec_of(world, walikota)
    with pytest.raises(ValidationError):
        verify.correct(world.tps_a, walikota, actor=users["admin"], election=world.election,
                       values=GOOD, votes=VOTES, reason="", version=rec.version, now=at(16))
    assert TpsResult.objects.count() == 1
    rec = verify.recount(world.tps_a, walikota, actor=users["admin"], reason="Kotak dibuka "
                         "ulang di PPK.", version=rec.version)
    assert rec.status == "recount"
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    assert rec_of(world, walikota).status == "recount"  # new data does not end a recount
    calls = []
    monkeypatch.setattr(rollup, "apply", lambda removed, added: calls.append((removed, added)))
    rec = verify.correct(world.tps_a, walikota, actor=users["admin"], election=world.election,
                         values=GOOD, votes=VOTES, reason="Hasil penghitungan ulang.",
                         version=rec_of(world, walikota).version, now=at(20))
    fixed = TpsResult.objects.get(source="pemda", is_current=True)
    assert (fixed.version, fixed.is_counted, fixed.reason, fixed.entered_by) == (
        2, True, "Hasil penghitungan ulang.", users["admin"])
    assert (rec.status, rec.agreement) == ("correction", "verified")
    assert calls and calls[-1][1].pk == fixed.pk  # the counters moved to the correction
    assert TpsResult.objects.filter(tps=world.tps_a, contest=walikota,
                                    is_counted=True).count() == 1


def test_who_may_verify(world, users, contests):
    walikota = contests[0]
    submit(world, users, walikota)
    entry = TpsResult.objects.get()
    with pytest.raises(PermissionDenied):
        verify.choose(world.tps_a, walikota, entry.pk, actor=users["kelurahan_a"], reason="x")
    url = f"/pemungutan/tps/{world.tps_a.pk}/sumber/{walikota.pk}/"
    lurah = client_for(users["kelurahan_a"])
    page = lurah.get(url)
    assert page.status_code == 200 and b'data-testid="choose-pemda"' not in page.content
    assert lurah.post(url, {"action": "choose", "entry": entry.pk, "reason": "x",
                            "version": 1}).status_code == 403
    camat = client_for(users["kecamatan_a"])
    assert b'data-testid="choose-pemda"' in camat.get(url).content
    submit(world, users, walikota, who="kelurahan_b", tps=world.tps_b)
    assert camat.get(f"/pemungutan/tps/{world.tps_b.pk}/sumber/{walikota.pk}/").status_code == 404
    assert client_for(users["kelurahan_b"]).get(url).status_code == 404


def test_the_page_shows_sources_differences_and_history(world, users, contests):
    walikota = contests[0]
    submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})
    run_import(world, users, zipped({TPS_A: kpu_json()}))
    client = client_for(users["kecamatan_a"])
    client.cookies["django_language"] = "en"
    url = f"/pemungutan/tps/{world.tps_a.pk}/sumber/{walikota.pk}/"
    page = client.get(url).content.decode()
    assert "Pair 3: Pemda 880, KPU 80" in page
    assert "https://sirekap.example/c1-1.jpg" in page and "3573021001001.json@" in page
    rec = rec_of(world, walikota)
    response = client.post(url, {"action": "choose", "entry": "", "reason": "",
                                 "version": rec.version})
    assert response.status_code == 400 and "Give the reason for this decision." in \
        response.content.decode()
    kpu = TpsResult.objects.get(source="kpu")
    response = client.post(url, {"action": "choose", "entry": kpu.pk,
                                 "reason": "Sesuai foto KPU.", "version": rec.version})
    assert response.status_code == 302
    fix = {f"fix-{k}": v for k, v in GOOD.items()}
    fix.update({"fix-votes_1": 120, "fix-votes_2": 100, "fix-votes_3": 80,
                "fix-version": rec_of(world, walikota).version, "action": "correct",
                "fix-reason": ""})
    response = client.post(url, fix)
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    page = client.get(url).content.decode()
    assert page.count('data-testid="version"') == 2
    assert "Counted: KPU published data version 1 — Sesuai foto KPU." in page


def test_api_detail_carries_the_reconciliation(world, users, contests):
    submit(world, users, contests[0])
    data = client_for(users["kelurahan_a"]).get(f"/api/v1/voting/tps/{world.tps_a.pk}/").json()
    assert [(r["contest"], r["agreement"], r["status"]) for r in data["reconciliations"]] == [
        (contests[0].pk, "single", "unofficial_partial")]


# --- the queue -------------------------------------------------------------------------------

def test_the_queue_lists_what_needs_attention_scoped_with_a_fixed_number_of_queries(
        world, users, contests, django_assert_max_num_queries):
    walikota, gubernur = contests
    submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})  # perlu verifikasi
    submit(world, users, gubernur)  # fine, single: not in the queue
    submit(world, users, walikota, who="kelurahan_b", tps=world.tps_b)
    run_import(world, users, zipped({TPS_B: kpu_json(votes=(120, 100, 81))}))  # disagree
    admin = client_for(users["admin"])
    admin.cookies["django_language"] = "en"
    admin.get("/pemungutan/verifikasi/")  # warm the per-process constants
    with CaptureQueriesContext(connection) as small:
        page = admin.get("/pemungutan/verifikasi/").content.decode()
    assert page.count('data-testid="queue-row"') == 2
    for n in range(2, 6):  # more TPS in the queue: the same number of queries
        tps = world.tps_a.__class__.objects.create(election=world.election,
                                                   kelurahan=world.kel_a, number=n)
        submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880}, tps=tps)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = admin.get("/pemungutan/verifikasi/").content.decode()
    assert page.count('data-testid="queue-row"') == 6
    assert "Pair 3: Pemda 80, KPU 81" in page
    only = admin.get("/pemungutan/verifikasi/?need=disagree").content.decode()
    assert only.count('data-testid="queue-row"') == 1
    camat = client_for(users["kecamatan_a"]).get("/pemungutan/verifikasi/").content.decode()
    assert camat.count('data-testid="queue-row"') == 5  # not kelurahan B's
    export = admin.get("/pemungutan/verifikasi/?export=csv&need=disagree")
    rows = table(b"".join(export.streaming_content), "csv")
    assert rows[1][0] == "35.73.01" and rows[1][-1] == "Pair 3: Pemda 80, KPU 81"
    assert admin.get("/pemungutan/verifikasi/?contest=999999").status_code == 404


def test_a_witness_new_version_keeps_the_verified_count_until_a_verifier_decides(world, users,
                                                                               contests):
    walikota = contests[0]
    submit(world, users, walikota, votes={1: 120, 2: 100, 3: 880})
    witness = submit(world, users, walikota, source="saksi")
    verify.choose(world.tps_a, walikota, witness.pk, actor=users["admin"], reason="Foto saksi.")
    newer = submit(world, users, walikota, source="saksi", votes={1: 121, 2: 99, 3: 80},
                   reason="Salah tulis.", now=timezone.now())
    counted = TpsResult.objects.get(tps=world.tps_a, contest=walikota, is_counted=True)
    assert (counted.pk, counted.is_current, newer.is_counted) == (witness.pk, False, False)
    rec = rec_of(world, walikota)
    assert rec.agreement == "disagree" and rec.counted_id == witness.pk  # back in the queue
    verify.choose(world.tps_a, walikota, newer.pk, actor=users["admin"], reason="Versi baru.",
                  now=timezone.now())
    assert TpsResult.objects.get(is_counted=True).pk == newer.pk


def test_refresh_runs_a_fixed_number_of_queries(world, users, contests,
                                                django_assert_num_queries):
    from posko.voting.services.reconcile import refresh

    walikota = contests[0]
    submit(world, users, walikota)
    refresh(world.tps_a, walikota)
    with CaptureQueriesContext(connection) as first:
        refresh(world.tps_a, walikota)
    for hour in (15, 16, 17):
        submit(world, users, walikota, reason="Koreksi.", now=at(hour))
        submit(world, users, walikota, source="saksi", reason="Koreksi." if hour > 15 else "",
               now=at(hour))
    with django_assert_num_queries(len(first.captured_queries)):
        rec = refresh(world.tps_a, walikota)
    assert rec.agreement == "agree"
