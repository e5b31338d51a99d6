"""Choices the demo modules share, so that their data agrees.

Bawaslu Kota Malang's TPS vulnerability mapping (data 10-15 Nov 2024, see
shared/domain) counted six indicators: KPPS serving outside their domicile at 375
TPS, ineligible (TMS) voters still listed at 183, DPTb voters at 158, logistics
distribution difficulty at 52, money politics at 46 and a re-vote (PSU) history at 5.
The vulnerability demo enters exactly those TPS as Bawaslu's release; the workers demo
places KPPS from another kelurahan at the same 375 TPS, the incidents demo puts its
money-politics reports at some of the same 46, the logistics demo its late deliveries
at some of the same 52. The TPS are drawn deterministically from the election's TPS.
"""

from __future__ import annotations

import random

from posko.elections.models import Tps

BAWASLU_MALANG_COUNTS = {
    "kpps_luar_domisili": 375,
    "pemilih_tms": 183,
    "pemilih_dptb": 158,
    "logistik_terlambat": 52,
    "politik_uang": 46,
    "riwayat_psu": 5,
}
SEED = 35_73_2024


def bawaslu_tps(election, indicator: str, count: int | None = None) -> list[int]:
    """The ids of the demo TPS that carry ``indicator`` (sorted), ``count`` of them
    (default: Bawaslu's count above). The same call always returns the same TPS."""
    if count is None:
        count = BAWASLU_MALANG_COUNTS[indicator]
    ids = sorted(Tps.objects.filter(election=election).values_list("pk", flat=True))
    rng = random.Random(f"{SEED}-{indicator}")
    return sorted(rng.sample(ids, min(count, len(ids))))
