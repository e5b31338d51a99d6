"""Demo quick count (Kota Malang): per contest a sample of 300 TPS stratified by kecamatan
(at least 2 per kecamatan), drawn with a fixed seed and locked on 24 Nov 2024 (H-3) by the
Desk admin, with the SHA-256 of its list (not before that moment). The C.Hasil of the finished day make its
estimate show. Idempotent: a contest that has a design keeps it."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from posko.accounts.models import User
from posko.demo.timeline import as_of_of
from posko.elections.models import Contest
from posko.voting.models import QuickCountDesign, QuickCountTps, Strata
from posko.voting.quickcount import design as qc_design
from posko.voting.quickcount import frame as qc_frame

SAMPLE = 300
SEED = 2024_11_24
DRAWN = datetime.datetime(2024, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def build_quick_count(result, election) -> None:
    if DRAWN + datetime.timedelta(minutes=20) > as_of_of(result):  # not drawn yet
        return
    admin = User.objects.filter(username="admin").first()
    have = set(QuickCountDesign.objects.filter(election=election).values_list("contest_id",
                                                                             flat=True))
    for offset, contest in enumerate(Contest.objects.filter(election=election).order_by("level")):
        if contest.pk in have:
            continue
        frame = qc_frame.frame(qc_frame.population(contest), Strata.KECAMATAN)
        if not frame:
            continue
        allocation = qc_design.allocate(qc_design.strata_sizes(frame), SAMPLE, 2)
        chosen = qc_design.draw(frame, allocation, SEED + offset)
        design = QuickCountDesign.objects.create(
            election=election, contest=contest, strata=Strata.KECAMATAN, sample_size=SAMPLE,
            min_per_stratum=2, seed=SEED + offset, show_after_percent=50, drawn_at=DRAWN,
            locked_at=DRAWN + datetime.timedelta(minutes=20), locked_by=admin,
            sample_hash=qc_design.sample_hash(qc_design.canonical_line(t) for t in chosen))
        QuickCountTps.objects.bulk_create(
            [QuickCountTps(design=design, tps_id=t.pk, stratum=t.stratum, order=i)
             for i, t in enumerate(chosen, start=1)])
        result.other_changes += 1 + len(chosen)
