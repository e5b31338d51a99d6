"""The coverage (cakupan-sosialisasi) and turnout (partisipasi) exports: a small one downloads
at once; one of POSKO_EXPORT_BACKGROUND_ROWS rows or more is written by a background job with
the same rows and the same ``?kecamatan=``, for the requester only. (Jobs run immediately in
tests.)"""

from __future__ import annotations

import pytest
from django.urls import reverse

from posko.core.models import AuditEntry, Job
from posko.outreach.services import turnout
from tests.conftest import client_for, content_of, table
from tests.outreach_fixtures import add_activity

pytestmark = pytest.mark.django_db

EXPORTS = {  # url name -> (file name without extension, column of the DPT)
    "outreach:coverage": ("cakupan-sosialisasi", 3),
    "outreach:turnout": ("partisipasi", 5),  # DPT of the TPS that reported
}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("url_name", sorted(EXPORTS))
def test_an_outreach_export_is_the_same_file_at_once_or_from_a_job(
        world, users, settings, django_capture_on_commit_callbacks, url_name, kind):
    add_activity(world, users["kelurahan_a"], attendance=50)
    add_activity(world, users["admin"], kel=world.kel_b, attendance=70)
    turnout.save_turnout(world.tps_a, {"voted_dpt": 300, "registered_dptb": 5, "voted_dptb": 3},
                         actor=users["admin"])
    admin = client_for(users["admin"])
    url = reverse(url_name)
    query = {"kecamatan": world.kec_a.code, "export": kind}
    name, dpt = EXPORTS[url_name]

    small = admin.get(url, query)
    assert small.status_code == 200 and f'filename="{name}.{kind}"' in small["Content-Disposition"]
    at_once = table(content_of(small), kind)
    by_code = {row[2]: row for row in at_once[1:]}
    assert set(by_code) == {world.kel_a.code, world.kel_a2.code}  # the kecamatan filter
    assert str(by_code[world.kel_a.code][dpt]) == "410"  # TPS 001 Klojen: 200 + 210
    if url_name == "outreach:coverage":
        assert str(by_code[world.kel_a.code][5]) == "50"  # people reached
    else:
        assert [str(v) for v in by_code[world.kel_a.code][6:8]] == ["415", "300"]  # +DPTb; voted
    assert not Job.objects.exists()

    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.get(url, query)
    job = Job.objects.get(kind="core.export")
    assert response.status_code == 302 and response["Location"] == f"/pekerjaan/{job.pk}/"
    assert (job.status, job.file_name, job.done_count) == ("done", f"{name}.{kind}", 2), job.error
    download = admin.get(f"/pekerjaan/{job.pk}/unduh/")
    assert download.status_code == 200
    assert table(content_of(download), kind) == at_once
    for other in ("kelurahan_b", "kecamatan_a"):  # the file is the requester's only
        assert client_for(users[other]).get(f"/pekerjaan/{job.pk}/unduh/").status_code == 404
    audit = list(AuditEntry.objects.filter(action="export").order_by("pk"))
    assert [e.object_repr for e in audit] == [name, name]
    assert f"kecamatan={world.kec_a.code}" in audit[1].message
    assert audit[1].message.endswith(f" {job.pk})")


def test_an_outreach_export_outside_the_scope_is_a_404_not_a_job(world, users, settings):
    settings.POSKO_EXPORT_BACKGROUND_ROWS = 1
    lurah = client_for(users["kelurahan_b"])
    for url_name in EXPORTS:
        response = lurah.get(reverse(url_name), {"kecamatan": world.kec_a.code, "export": "csv"})
        assert response.status_code == 404
    assert not Job.objects.exists()
