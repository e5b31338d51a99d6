"""ASN neutrality per the 2022 joint decree (SKB): its catalogue of prohibited acts per election
(seeded, editable by the Desk admin, audited, locked once a case names an act); a case names its
act and may not get a lighter sanction without a reason; the camat (and lurah) of the ASN's
office sees the case; the API and the CSV export carry the act and its severity."""

from __future__ import annotations

import csv
import datetime
import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation

from posko.core.models import AuditEntry
from posko.elections.models import Election
from posko.incidents import services
from posko.incidents.models import NeutralityCase, ProhibitedAct

pytestmark = pytest.mark.django_db

HEAVY_MESSAGE = ("The act HD-01 (Memasang spanduk/baliho/alat peraga lainnya terkait bakal calon "
                 "peserta pemilu dan pemilihan) carries at least: Heavy disciplinary penalty. A "
                 "lighter sanction needs a reason.")


@pytest.fixture(autouse=True)
def _english(personas):
    for persona in personas.values():
        persona.client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def acts(world):
    services.ensure_acts(world.election)
    return {a.code: a for a in ProhibitedAct.objects.filter(election=world.election)}


def case_data(users, act, **extra):
    return {"agency": users["agency"].agency_id, "asn_name": "Budi Santoso", "asn_position": "Staf",
            "occurred_on": "2024-10-10", "act": "Memasang baliho paslon di kantor.",
            "prohibited_act": act.pk, **extra}


def make_case(world, users, act=None, kecamatan=None, kelurahan=None, name="Tuti Lestari"):
    return NeutralityCase.objects.create(
        election=world.election, agency=users["agency"].agency, asn_name=name,
        act="Kampanye", occurred_on=datetime.date(2024, 10, 1),
        breach_type=act.breach_type if act else "disiplin", prohibited_act=act,
        kecamatan=kecamatan, kelurahan=kelurahan)


def test_catalogue_is_seeded_per_election_by_the_data_migration(world):
    other = Election.objects.create(name="Pilkada 2029", voting_date=datetime.date(2029, 11, 28))
    services.ensure_acts(world.election)
    ProhibitedAct.objects.filter(election=world.election, code="HD-02").delete()
    migration = importlib.import_module("posko.incidents.migrations.0005_seed_skb2022_acts")
    migration.seed(django_apps, None)
    migration.seed(django_apps, None)  # a second run adds nothing
    for election in (world.election, other):
        acts = {a.code: a for a in ProhibitedAct.objects.filter(election=election)}
        assert len(acts) == 19
        assert (acts["HD-01"].breach_type, acts["HD-01"].severity) == ("disiplin", "berat")
        assert "alat peraga" in acts["HD-01"].description  # campaign props: heavy
        assert acts["HD-03"].severity == "sedang" and "pendekatan" in acts["HD-03"].description
        assert acts["HD-05"].severity == "ptdh"
        assert {a.severity for c, a in acts.items() if c.startswith("KE-")} == {"moral"}
    assert services.ensure_acts(other) == 0
    # A new election gets it on first use, e.g. by an API client creating a case.
    later = Election.objects.create(name="Pilkada 2034", voting_date=datetime.date(2034, 11, 29))
    assert not ProhibitedAct.objects.filter(election=later).exists()
    assert len(services.acts_for(later)) == 19


def test_a_new_case_names_its_act_and_the_type_follows_it(world, personas, users, acts):
    client = personas["admin"].client
    url = reverse("incidents:case_add")
    response = client.post(url, case_data(users, acts["HD-01"], prohibited_act=""))
    assert response.status_code == 400
    assert response.context["form"].errors["prohibited_act"] == [
        "Choose the act of the joint decree the ASN is suspected of."]
    response = client.post(url, case_data(users, acts["HD-01"], breach_type="kode_etik"))
    assert response.context["form"].errors["breach_type"] == [
        "The act HD-01 is a disciplinary breach: choose that type or another act."]
    assert NeutralityCase.objects.count() == 0
    response = client.post(url, case_data(users, acts["HD-01"]))  # type left empty
    assert response.status_code == 302
    case = NeutralityCase.objects.get()
    assert case.breach_type == "disiplin" and case.prohibited_act == acts["HD-01"]
    body = client.get(case.get_absolute_url()).content.decode()
    assert "HD-01" in body and "Heavy disciplinary penalty" in body


def test_lighter_sanction_is_refused_without_a_reason_and_audited_with_one(world, personas, users,
                                                                           acts):
    client = personas["admin"].client
    data = case_data(users, acts["HD-01"], sanction="disiplin_sedang",
                     sanction_date="2024-11-01")
    response = client.post(reverse("incidents:case_add"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["sanction"] == [HEAVY_MESSAGE]
    assert NeutralityCase.objects.count() == 0 and not AuditEntry.objects.filter(
        action="create", object_repr__startswith="Case").exists()
    reason = "Mengakui perbuatan dan langsung menurunkan baliho; rekomendasi PPK."
    response = client.post(reverse("incidents:case_add"), {**data, "lighter_sanction_reason": reason})
    assert response.status_code == 302
    case = NeutralityCase.objects.get()
    assert case.sanction == "disiplin_sedang" and case.lighter_sanction_reason == reason
    entry = AuditEntry.objects.filter(object_id=str(case.pk), action="create").latest("pk")
    assert entry.after["lighter_sanction_reason"] == reason and entry.after["prohibited_act"]
    body = client.get(case.get_absolute_url()).content.decode()
    assert "Reason for a lighter sanction" in body and "langsung menurunkan baliho" in body
    # The act's own sanction (or heavier) needs no reason, and the stale reason is dropped.
    edit = client.get(reverse("incidents:case_edit", args=[case.pk])).context["form"]
    post = {k: v for k, v in edit.initial.items() if k in edit.fields and v is not None}
    post.update(kecamatan="", kelurahan="", sanction="disiplin_berat", prohibited_act=acts["HD-01"].pk,
                agency=case.agency_id)
    response = client.post(reverse("incidents:case_edit", args=[case.pk]), post)
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.sanction == "disiplin_berat" and case.lighter_sanction_reason == ""
    # The API refuses the same lighter sanction with the same message.
    response = client.post(reverse("api:incident-case-list"), {
        "agency": users["agency"].agency_id, "asn_name": "Ani", "act": "Baliho",
        "occurred_on": "2024-10-12", "prohibited_act": acts["HD-01"].pk,
        "sanction": "disiplin_sedang", "sanction_date": "2024-11-02"},
        content_type="application/json")
    assert response.status_code == 400 and HEAVY_MESSAGE in str(response.json())


def test_a_case_from_before_the_catalogue_shows_act_not_named(world, personas, users, acts):
    old = make_case(world, users)  # as migrated: no act
    client = personas["admin"].client
    assert "act not named" in client.get(old.get_absolute_url()).content.decode()
    assert "act not named" in client.get(reverse("incidents:case_list")).content.decode()
    api = client.get(reverse("api:incident-case-detail", args=[old.pk])).json()
    assert api["act_code"] is None and api["act_severity"] is None
    # It can still be edited without naming an act (only new cases must).
    services.save_case(old, actor=users["admin"], before=None)
    assert NeutralityCase.objects.get(pk=old.pk).version == 2


def test_camat_and_lurah_see_the_cases_of_their_offices(world, personas, users, acts):
    in_kec = make_case(world, users, acts["HD-03"], kecamatan=world.kec_a, name="Ani Klojen")
    in_kel = make_case(world, users, acts["KE-04"], kelurahan=world.kel_a, name="Budi Kauman")
    other = make_case(world, users, acts["HD-01"], kecamatan=world.kec_b, name="Cici Blimbing")
    nowhere = make_case(world, users, acts["HD-01"], name="Dodi")
    # Saving derives the kecamatan from the kelurahan.
    in_kel.kecamatan_id = None
    services.save_case(in_kel, actor=users["admin"], before=None)
    assert NeutralityCase.objects.get(pk=in_kel.pk).kecamatan_id == world.kec_a.code

    camat = personas["kecamatan_a"].client
    listed = [c.pk for c in camat.get(reverse("incidents:case_list")).context["cases"]]
    assert sorted(listed) == sorted([in_kec.pk, in_kel.pk])
    assert camat.get(in_kec.get_absolute_url()).status_code == 200
    assert camat.get(other.get_absolute_url()).status_code == 404
    assert camat.get(nowhere.get_absolute_url()).status_code == 404
    api = camat.get(reverse("api:incident-case-list")).json()["results"]
    assert sorted(c["id"] for c in api) == sorted([in_kec.pk, in_kel.pk])
    assert camat.get(reverse("api:incident-case-detail", args=[other.pk])).status_code == 404
    body = camat.get(in_kec.get_absolute_url()).content.decode()
    assert "Ani Klojen" not in body and "A** K*****" in body  # names stay masked
    assert camat.get(reverse("incidents:case_edit", args=[in_kec.pk])).status_code == 403

    lurah = personas["kelurahan_a"].client
    assert [c.pk for c in lurah.get(reverse("incidents:case_list")).context["cases"]] == [in_kel.pk]
    assert lurah.get(in_kec.get_absolute_url()).status_code == 404
    assert personas["kelurahan_b"].client.get(in_kel.get_absolute_url()).status_code == 404


def test_api_and_export_carry_the_act_and_its_severity(world, personas, users, acts):
    case = make_case(world, users, acts["HD-03"], kecamatan=world.kec_a, name="Ani Klojen")
    row = personas["pemantau"].client.get(reverse("api:incident-case-detail", args=[case.pk])).json()
    assert (row["act_code"], row["act_severity"], row["kecamatan"]) == ("HD-03", "sedang",
                                                                        world.kec_a.code)
    response = personas["pemantau"].client.get(reverse("incidents:case_list"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][7:10] == ["act code", "act of the joint decree", "sanction at least"]
    assert rows[1][2] == "A** K*****" and rows[1][4] == "Klojen"
    assert rows[1][7] == "HD-03" and rows[1][9] == "Medium disciplinary penalty"
    assert AuditEntry.objects.filter(action="export", object_repr="kasus-netralitas").exists()


def test_act_edits_are_audited_and_locked_once_a_case_names_the_act(world, personas, users, acts):
    act = acts["HD-03"]
    url = reverse("incidents:act_edit", args=[act.pk])
    assert personas["kecamatan_a"].client.get(url).status_code == 403
    assert personas["pemantau"].client.get(reverse("incidents:act_list")).status_code == 200
    client = personas["admin"].client
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields}
    response = client.post(url, {**data, "severity": "berat", "legal_basis": "PP 94/2021"})
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_id=str(act.pk), action="update").latest("pk")
    assert (entry.before["severity"], entry.after["severity"]) == ("sedang", "berat")
    make_case(world, users, act)
    act.refresh_from_db()
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if k in form.fields}
    response = client.post(url, {**data, "severity": "sedang"})
    assert response.status_code == 400
    assert response.context["form"].errors["severity"] == [
        "1 case(s) name this act: its code, type and severity cannot change. Retire it (not in "
        "use) and add a new act instead."]
    assert ProhibitedAct.objects.get(pk=act.pk).severity == "berat"
    response = client.post(url, {**data, "description": "Pendekatan ke parpol", "is_active": ""})
    assert response.status_code == 302
    assert not ProhibitedAct.objects.get(pk=act.pk).is_active
    # A retired act is not offered for a new case.
    new = client.get(reverse("incidents:case_add")).context["form"]
    assert act not in new.fields["prohibited_act"].queryset
    response = client.post(reverse("incidents:act_add"), {
        "code": "hd-01", "description": "Lagi", "breach_type": "disiplin", "severity": "berat",
        "order": 5})
    assert response.context["form"].errors["code"] == [
        "Another act of this election has the code HD-01."]


def test_case_list_query_count_does_not_grow_with_cases(world, personas, users, acts,
                                                        django_assert_max_num_queries):
    client = personas["pemantau"].client
    make_case(world, users, acts["HD-01"], kecamatan=world.kec_a)
    client.get(reverse("incidents:case_list"))  # warm the per-process caches

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("incidents:case_list")).status_code == 200
        return len(queries)

    few = count()
    for i in range(15):
        make_case(world, users, acts[f"HD-0{1 + i % 9}"], kecamatan=world.kec_a,
                  kelurahan=world.kel_a, name=f"ASN {i}")
    make_case(world, users, None, name="Tanpa Perbuatan")
    assert count() == few
    with django_assert_max_num_queries(7):
        client.get(reverse("incidents:case_list"))
