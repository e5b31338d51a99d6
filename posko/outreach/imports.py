"""Imports (CSV/XLSX through posko.core.importer): historical turnout per kelurahan or TPS,
and voting-day turnout per TPS. All or nothing, "Baris N, kolom X" messages, only places
the importing user may edit, every created or changed row audited."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, clock
from posko.core.importer import (
    CellError,
    Column,
    ElectionImporter,
    Importer,
    ImportResult,
    parse_int,
    parse_text,
)
from posko.core.templates_example import ExampleRowMixin, with_no
from posko.elections.imports import parse_kelurahan_code, parse_tps_number
from posko.elections.models import Tps, place_codes
from posko.outreach.models import HistoricalTurnout, TpsTurnout
from posko.outreach.rules import turnout_problems
from posko.regions.models import Kelurahan


def parse_count(value: str) -> int | None:
    return parse_int(value, minimum=0, maximum=10_000_000)


def parse_year(value: str) -> int | None:
    return parse_int(value, minimum=1955, maximum=2100)


def parse_label(value: str) -> str:
    value = parse_text(60)(value)
    if value and not any(ch.isalnum() for ch in value):
        raise CellError(_("Name the election, e.g. Pilkada 2018."))
    return value


HISTORY_COLUMNS = with_no([
    Column("pemilihan", gettext_lazy("Election"), parse_label, required=True,
           aliases=("pemilu", "election", "label"), example="Pilkada 2018"),
    Column("tahun", gettext_lazy("Year"), parse_year, required=True, aliases=("year",),
           example="2018"),
    Column("kode_kelurahan", gettext_lazy("Kelurahan code"), parse_kelurahan_code, required=True,
           aliases=("kelurahan_code", "kode_kel", "kode_desa"), example="35.73.02.1001"),
    Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number,
           aliases=("no_tps", "tps"), example="",
           help=gettext_lazy("Empty: the row is the whole kelurahan.")),
    Column("terdaftar", gettext_lazy("Registered voters"), parse_count, required=True,
           aliases=("dpt", "registered", "jumlah_pemilih"), example="8450"),
    Column("pengguna_hak_pilih", gettext_lazy("Voters who used their right"), parse_count,
           required=True, aliases=("memilih", "voted", "pengguna"), example="6120"),
])

TURNOUT_COLUMNS = with_no([
    Column("kode_kelurahan", gettext_lazy("Kelurahan code"), parse_kelurahan_code, required=True,
           aliases=("kelurahan_code", "kode_kel", "kode_desa"), example="35.73.02.1001"),
    Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number, required=True,
           aliases=("no_tps", "tps"), example="1"),
    Column("dptb_terdaftar", gettext_lazy("DPTb registered"), parse_count,
           aliases=("dptb", "registered_dptb"), example="3"),
    Column("dpk_terdaftar", gettext_lazy("DPK registered"), parse_count,
           aliases=("dpk", "registered_dpk"), example="2"),
    Column("pemilih_dpt", gettext_lazy("Voters from the DPT"), parse_count, required=True,
           aliases=("voted_dpt", "pengguna_dpt"), example="301"),
    Column("pemilih_dptb", gettext_lazy("Voters from the DPTb"), parse_count,
           aliases=("voted_dptb", "pengguna_dptb"), example="3"),
    Column("pemilih_dpk", gettext_lazy("Voters from the DPK"), parse_count,
           aliases=("voted_dpk", "pengguna_dpk"), example="2"),
])


class HistoryImporter(ExampleRowMixin, Importer):
    columns = HISTORY_COLUMNS
    noun = "riwayat partisipasi"

    def prepare(self) -> None:
        self.allowed = set(Kelurahan.objects.editable_by(self.actor).values_list("code", flat=True))
        self.existing = {(label, kel, n): (pk, reg, voted, year)
                         for pk, label, kel, n, reg, voted, year in
                         HistoricalTurnout.objects.filter(kelurahan_id__in=self.allowed)
                         .values_list("pk", "label", "kelurahan_id", "tps_number", "registered",
                                      "voted", "year")}
        # (label, kelurahan) -> "kelurahan" | "tps": one level per kelurahan and election
        self.levels: dict[tuple[str, str], str] = {}
        for label, kel, n in self.existing:
            self.levels[(label, kel)] = "tps" if n else "kelurahan"
        self.seen: dict[tuple, int] = {}

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        label, code = values["pemilihan"], values["kode_kelurahan"]
        number = values.get("nomor_tps") or 0
        if code not in self.allowed:
            error("kode_kelurahan", _("Kelurahan %(code)s is unknown or outside your region.") % {
                "code": code})
            return None
        if values["pengguna_hak_pilih"] > values["terdaftar"]:
            error("pengguna_hak_pilih", _("More voters (%(voted)s) than registered "
                                          "(%(registered)s).") % {
                "voted": values["pengguna_hak_pilih"], "registered": values["terdaftar"]})
            return None
        key = (label, code, number)
        if key in self.seen:
            error("nomor_tps", _("This place and election is already on row %(row)s.") % {
                "row": self.seen[key]})
            return None
        level = "tps" if number else "kelurahan"
        known = self.levels.get((label, code))
        if known and known != level:
            error("nomor_tps", _("%(label)s in %(code)s is recorded per %(known)s; do not mix "
                                 "kelurahan totals and TPS rows.") % {
                "label": label, "code": code,
                "known": _("TPS") if known == "tps" else _("kelurahan")})
            return None
        self.levels[(label, code)] = level
        self.seen[key] = row
        return (label, values["tahun"], code, number, values["terdaftar"],
                values["pengguna_hak_pilih"])

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        create, update, changes = [], [], []
        for label, year, code, number, registered, voted in objects:
            kec, _kab = place_codes(code)
            obj = HistoricalTurnout(label=label, year=year, kecamatan_id=kec, kelurahan_id=code,
                                    tps_number=number, registered=registered, voted=voted)
            current = self.existing.get((label, code, number))
            if current is None:
                create.append(obj)
            elif current[1:] == (registered, voted, year):
                result.unchanged += 1
            else:
                obj.pk = current[0]
                update.append(obj)
                changes.append((obj, {"registered": current[1], "voted": current[2],
                                      "year": current[3]}))
        HistoricalTurnout.objects.bulk_create(create, batch_size=2000)
        if update:
            HistoricalTurnout.objects.bulk_update(update, ["registered", "voted", "year"],
                                                  batch_size=2000)
        result.created, result.updated = len(create), len(update)
        audit.insert_many(HistoricalTurnout, "create", (
            (o.pk, str(o), None, audit.snapshot(o), o.kecamatan_id, o.kelurahan_id)
            for o in create), actor=self.actor, message="import")
        audit.insert_many(HistoricalTurnout, "update", (
            (o.pk, str(o), {**audit.snapshot(o), **before}, audit.snapshot(o), o.kecamatan_id,
             o.kelurahan_id) for o, before in changes), actor=self.actor, message="import")
        return result


class TurnoutImporter(ExampleRowMixin, ElectionImporter):
    columns = TURNOUT_COLUMNS
    noun = "partisipasi TPS"
    fields = ("registered_dptb", "registered_dpk", "voted_dpt", "voted_dptb", "voted_dpk")

    def prepare(self) -> None:
        tps = Tps.objects.editable_by(self.actor).filter(election=self.election)
        self.tps = {(kel, number): (pk, kel, kec, kab, men + women)
                    for pk, kel, number, kec, kab, men, women in tps.values_list(
                        "pk", "kelurahan_id", "number", "kecamatan_id", "kabkota_id", "dpt_men",
                        "dpt_women").iterator(chunk_size=5000)}
        self.existing = {row[1]: row for row in TpsTurnout.objects.filter(
            election=self.election).values_list("pk", "tps_id", *self.fields)}
        self.today = clock.today()
        self.seen: dict[int, int] = {}

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        code, number = values["kode_kelurahan"], values["nomor_tps"]
        tps = self.tps.get((code, number))
        if tps is None:
            error("nomor_tps", _("There is no TPS %(number)03d in kelurahan %(code)s within your "
                                 "region.") % {"number": number, "code": code})
            return None
        if tps[0] in self.seen:
            error("nomor_tps", _("This TPS is already on row %(row)s.") % {"row": self.seen[tps[0]]})
            return None
        self.seen[tps[0]] = row
        numbers = {
            "registered_dptb": values.get("dptb_terdaftar") or 0,
            "registered_dpk": values.get("dpk_terdaftar") or 0,
            "voted_dpt": values["pemilih_dpt"],
            "voted_dptb": values.get("pemilih_dptb") or 0,
            "voted_dpk": values.get("pemilih_dpk") or 0,
        }
        problems = turnout_problems(tps[4], numbers, self.election.voting_date, self.today)
        column = {"registered_dptb": "dptb_terdaftar", "registered_dpk": "dpk_terdaftar",
                  "voted_dpt": "pemilih_dpt", "voted_dptb": "pemilih_dptb",
                  "voted_dpk": "pemilih_dpk"}
        for field, messages in problems.items():
            for message in messages:
                error(column[field], message)
        if problems:
            return None
        return tps, numbers

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        create, update, changes = [], [], []
        user = self.actor if getattr(self.actor, "is_authenticated", False) else None
        for (pk, kel, kec, kab, _dpt), numbers in objects:
            current = self.existing.get(pk)
            obj = TpsTurnout(election=self.election, tps_id=pk, kelurahan_id=kel,
                             kecamatan_id=kec, kabkota_id=kab, recorded_by=user, **numbers)
            if current is None:
                create.append(obj)
                continue
            old = dict(zip(self.fields, current[2:], strict=True))
            if old == numbers:
                result.unchanged += 1
                continue
            obj.pk = current[0]
            update.append(obj)
            changes.append((obj, old))
        TpsTurnout.objects.bulk_create(create, batch_size=2000)
        if update:
            for obj in update:
                obj.updated_at = clock.now()
            TpsTurnout.objects.bulk_update(update, [*self.fields, "recorded_by", "updated_at"],
                                           batch_size=2000)
            TpsTurnout.objects.filter(pk__in=[o.pk for o in update]).update(
                version=F("version") + 1)
        result.created, result.updated = len(create), len(update)
        audit.insert_many(TpsTurnout, "create", (
            (o.pk, f"TPS {o.tps_id}", None, audit.snapshot(o), o.kecamatan_id, o.kelurahan_id)
            for o in create), actor=self.actor, message="import")
        audit.insert_many(TpsTurnout, "update", (
            (o.pk, f"TPS {o.tps_id}", {**audit.snapshot(o), **old}, audit.snapshot(o),
             o.kecamatan_id, o.kelurahan_id) for o, old in changes), actor=self.actor,
            message="import")
        return result
