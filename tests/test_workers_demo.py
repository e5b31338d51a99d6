"""The workers part of the Kota Malang demo: staffing at the norms (none over), the 375 Bawaslu
TPS with a KPPS registered to vote at another TPS (and no other), the domicile flag on only
some of them, valid generated NIKs, idempotent."""

from __future__ import annotations

import pytest
from django.db.models import Count

from posko.demo.common import bawaslu_tps
from posko.demo.data import build_demo
from posko.demo.workers import build_workers
from posko.elections.models import Election
from posko.workers.indicators import kpps_registered_elsewhere
from posko.workers.models import Claim, Incident, Worker, WorkerSettings
from posko.workers.nik import check_nik
from posko.workers.norms import norm_values, occupied, slots

pytestmark = pytest.mark.django_db


def test_demo_workers():
    result = build_demo()
    election = Election.objects.get(pk=result.election_id)
    workers = Worker.objects.filter(election=election)
    roles = dict(workers.values("role").annotate(n=Count("pk")).values_list("role", "n"))
    assert roles == {"kpps_ketua": 1188, "kpps_anggota": 7128, "linmas": 2376, "ptps": 1188,
                     "pps": 171, "ppk": 25}
    assert roles["kpps_ketua"] + roles["kpps_anggota"] == 8316
    outside = kpps_registered_elsewhere(election)
    assert sorted(v.tps_id for v in outside) == bawaslu_tps(election, "kpps_luar_domisili")
    assert len(outside) == 375 and all(v.value == 1 for v in outside)
    # The domicile is its own flag: some of those KPPS live in the kelurahan they serve.
    flagged = set(workers.filter(role__in=Worker.KPPS_ROLES, outside_domicile=True)
                  .values_list("tps_id", flat=True))
    assert flagged < {v.tps_id for v in outside} and 100 < len(flagged) < 375
    assert not workers.filter(role__in=("pps", "ppk"), outside_domicile=True).exists()
    # No post beyond the norms.
    norms = norm_values(WorkerSettings.for_election(election))
    taken = set()
    for role, tps, kel, kec in workers.values_list("role", "tps_id", "kelurahan_id", "kecamatan_id"):
        taken |= slots(role, tps, kel, kec)
    assert all(n <= norms[slot[0]] for slot, n in occupied(election.pk, taken).items())
    for worker in workers.only("nik", "birth_date", "sex").iterator():
        _info, problems = check_nik(worker.nik, birth_date=worker.birth_date, sex=worker.sex)
        assert not problems, (worker.nik, problems)
    states = dict(workers.values("bpjs_status").annotate(n=Count("pk")).values_list("bpjs_status", "n"))
    assert states["aktif"] > 0.9 * workers.count() and states.get("belum", 0) > 0
    assert workers.filter(screening_result="tidak_layak").exists()
    assert workers.filter(role__in=Worker.KPPS_ROLES, screening_result="").exists()
    assert Incident.objects.filter(covered=False).exists() and Claim.objects.exists()

    class Again:
        election_id = election.pk
        other_changes = 0

    again = Again()
    build_workers(again)
    assert again.other_changes == 0
    assert Worker.objects.count() == 12076
