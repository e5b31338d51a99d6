"""Where the logistics history of an election's TPS comes from (issue 15, point 6).

Bawaslu's logistics indicators of TPS vulnerability (logistics short, surplus or missing;
damaged; late) ask what happened at a TPS in *earlier* elections. For an election:

1. the previous election in Posko (the latest one with an earlier voting day whose
   logistics catalogue has items, i.e. whose logistics Posko followed): its shortfall cases
   per TPS, a TPS matched by kelurahan + TPS number ("Pemilu 2024 di Posko");
2. otherwise the history imported for this election (``ShortfallHistory``, a CSV/XLSX per
   TPS with a template: ``HistoryImporter``) ("impor riwayat");
3. otherwise none: no value, and the source says there is no history.

:func:`source_of` says which (a per-process constant: the catalogue and the imported
history are watched models); :func:`counts` gives the counts per TPS of the election.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, constants, derived
from posko.core.importer import Column, ElectionImporter, ImportResult, parse_int, parse_text
from posko.core.templates_example import ExampleRowMixin, with_no
from posko.elections.models import Election, Tps
from posko.logistics.imports import TpsRowsMixin, tps_columns
from posko.logistics.models import Item, Shortfall, ShortfallHistory

POSKO, IMPORT, NONE = "posko", "import", "none"
# The history fields and the shortfall kinds each one counts.
FIELDS = {
    "shortfall": ("short", "surplus", "below"),
    "damaged": ("damaged",),
    "late": ("late",),
}
# Bawaslu's indicator code: (the derived source's key, the history field).
INDICATORS = {
    "logistik_kurang": ("logistics.shortfall", "shortfall"),
    "logistik_rusak": ("logistics.damaged", "damaged"),
    "logistik_terlambat": ("logistics.late", "late"),
}


def notify(election, tps_ids=None) -> None:
    """Tell the consumers of the derived indicators that ``election``'s history changed."""
    for key, _field in INDICATORS.values():
        derived.changed(key, election, tps_ids)


@dataclass(frozen=True)
class HistorySource:
    kind: str  # POSKO, IMPORT or NONE
    previous_id: int | None = None  # the earlier election in Posko
    previous_name: str = ""
    imported: tuple[str, ...] = ()  # the earlier elections named in the import

    def text(self) -> str:
        """"Pemilu 2024 di Posko" / "impor riwayat (Pemilu 2019)" / "no history"."""
        if self.kind == POSKO:
            return _("%(election)s in Posko") % {"election": self.previous_name}
        if self.kind == IMPORT:
            return _("imported history (%(elections)s)") % {
                "elections": ", ".join(self.imported)}
        return _("no history: no earlier election in Posko and no imported history")


def _load(election) -> HistorySource:
    previous = (Election.objects.filter(voting_date__lt=election.voting_date)
                .exclude(pk=election.pk).order_by("-voting_date", "-pk").first())
    if previous is not None and Item.objects.filter(election=previous).exists():
        return HistorySource(POSKO, previous.pk, previous.name)
    imported = tuple(ShortfallHistory.objects.filter(election=election).order_by(
        "past_election").values_list("past_election", flat=True).distinct())
    if imported:
        return HistorySource(IMPORT, imported=imported)
    return HistorySource(NONE)


def source_of(election) -> HistorySource:
    """Where ``election``'s logistics history comes from (no query once warm)."""
    return constants.get(("logistics.history_source", election.pk), lambda: _load(election))


def counts(election, field: str, tps_ids=None) -> tuple[HistorySource, dict[int, int]]:
    """``{tps id of election: count}`` of the history ``field`` (shortfall, damaged, late),
    for the TPS with a count above 0 (one query, two for the previous election)."""
    source = source_of(election)
    found: dict[int, int] = {}
    if source.kind == POSKO:
        tps = Tps.objects.filter(election=election)
        if tps_ids is not None:
            tps = tps.filter(pk__in=list(tps_ids))
        by_place = {(kel, number): pk for pk, kel, number in tps.values_list(
            "pk", "kelurahan_id", "number")}
        rows = Shortfall.objects.filter(
            election_id=source.previous_id, kind__in=FIELDS[field], tps__isnull=False,
        ).values_list("tps__kelurahan_id", "tps__number").annotate(n=Count("pk")).order_by()
        for kel, number, n in rows:
            pk = by_place.get((kel, number))
            if pk is not None:
                found[pk] = found.get(pk, 0) + n
    elif source.kind == IMPORT:
        rows = ShortfallHistory.objects.filter(election=election, **{f"{field}__gt": 0})
        if tps_ids is not None:
            rows = rows.filter(tps_id__in=list(tps_ids))
        found = dict(rows.values_list("tps_id").annotate(n=Sum(field)).order_by())
    return source, found


# --- the import -------------------------------------------------------------------------------

def parse_cases(value: str) -> int | None:
    return parse_int(value, minimum=0, maximum=1000)


HISTORY_COLUMNS = with_no([
    *tps_columns(),
    Column("pemilu", gettext_lazy("Earlier election"), parse_text(60), required=True,
           aliases=("pemilihan", "pemilu_sebelumnya", "election"), example="Pemilu 2024",
           help=gettext_lazy("The earlier election the counts are about.")),
    Column("kurang", gettext_lazy("Short, surplus or missing"), parse_cases,
           aliases=("kekurangan", "logistik_kurang"), example="1",
           help=gettext_lazy("Cases of logistics short, surplus or missing (blank: 0).")),
    Column("rusak", gettext_lazy("Damaged"), parse_cases, aliases=("logistik_rusak",),
           example="0", help=gettext_lazy("Cases of damaged logistics (blank: 0).")),
    Column("terlambat", gettext_lazy("Late"), parse_cases,
           aliases=("logistik_terlambat", "keterlambatan"), example="0",
           help=gettext_lazy("Cases of logistics arriving late (blank: 0).")),
])


class HistoryImporter(TpsRowsMixin, ExampleRowMixin, ElectionImporter):
    """One row per TPS and earlier election; a re-import updates the counts (matched on
    election, TPS and earlier election) and duplicates nothing. All or nothing; audited."""

    columns = HISTORY_COLUMNS
    noun = "riwayat logistik"
    match_untouched_example = False

    def prepare(self) -> None:
        self.load_tps()
        self.existing = {
            (tps_id, past.casefold()): (pk, past, short, damaged, late)
            for pk, tps_id, past, short, damaged, late in ShortfallHistory.objects.filter(
                election=self.election).values_list(
                "pk", "tps_id", "past_election", "shortfall", "damaged", "late")}
        self.seen: dict[tuple[int, str], int] = {}

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        tps = self.tps_of(values, error)
        past = (values.get("pemilu") or "").strip()
        if tps is None or not past:
            return None
        key = (tps[0], past.casefold())
        if key in self.seen:
            error("pemilu", _("%(election)s for this TPS is already on row %(row)s.") % {
                "election": past, "row": self.seen[key]})
            return None
        self.seen[key] = row
        return (tps, past, *(values.get(c) or 0 for c in ("kurang", "rusak", "terlambat")))

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        create, update, before = [], [], {}
        for (tps_id, kel, _number, kec), past, short, damaged, late in objects:
            obj = ShortfallHistory(election=self.election, tps_id=tps_id, kecamatan_id=kec,
                                   kelurahan_id=kel, past_election=past, shortfall=short,
                                   damaged=damaged, late=late)
            current = self.existing.get((tps_id, past.casefold()))
            if current is None:
                create.append(obj)
            elif current[2:] == (short, damaged, late):
                result.unchanged += 1
            else:
                obj.pk, obj.past_election = current[0], current[1]
                update.append(obj)
                before[obj.pk] = dict(zip(("shortfall", "damaged", "late"), current[2:],
                                          strict=True))
        ShortfallHistory.objects.bulk_create(create, batch_size=2000)
        ShortfallHistory.objects.bulk_update(update, ["shortfall", "damaged", "late"],
                                             batch_size=2000)
        result.created, result.updated = len(create), len(update)
        audit.insert_many(ShortfallHistory, "create", (
            (o.pk, str(o), None, audit.snapshot(o), o.kecamatan_id, o.kelurahan_id)
            for o in create), actor=self.actor, message="import")
        audit.insert_many(ShortfallHistory, "update", (
            (o.pk, str(o), {**audit.snapshot(o), **before[o.pk]}, audit.snapshot(o),
             o.kecamatan_id, o.kelurahan_id) for o in update), actor=self.actor, message="import")
        if create or update:
            notify(self.election)
        return result
