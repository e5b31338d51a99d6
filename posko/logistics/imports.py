"""Import of KPU's distribution plan (CSV/XLSX; engine: posko.core.importer): what each
TPS is to receive of each item, and when.

A row names its TPS by ``kode_kelurahan`` + ``nomor_tps`` (or by ``id_tps``), its item by
code or name, the count and the planned date. Rows are matched on (election, TPS,
item): a re-import updates the planned count and date and duplicates nothing. Only TPS
the importing user may edit are accepted; the whole file is checked before anything is
written, and every created or changed row gets an audit row."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit
from posko.core.importer import (
    CellError,
    Column,
    ElectionImporter,
    ImportResult,
    parse_int,
    parse_text,
)
from posko.core.templates_example import ExampleRowMixin, with_no
from posko.elections.imports import parse_kelurahan_code, parse_tps_number
from posko.elections.models import Tps
from posko.logistics.models import Item, PlannedDistribution

_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")


def parse_date(value: str) -> datetime.date | None:
    """2024-11-25, 25-11-2024, 25/11/2024 or an XLSX date cell."""
    value = value.strip()
    if value == "":
        return None
    text = re.sub(r"[ T]00:00(:00)?$", "", value)  # XLSX dates arrive as "2024-11-25 00:00:00"
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("%(value)r is not a date (use 2024-11-25 or 25-11-2024).") % {"value": value})


def parse_count(value: str) -> int | None:
    return parse_int(value, minimum=0, maximum=10_000_000)


def parse_tps_id(value: str) -> int | None:
    return parse_int(value, minimum=1)


def tps_columns() -> list[Column]:
    """The columns naming a TPS in every logistics file: kode_kelurahan + nomor_tps, or id_tps."""
    return [
        Column("kode_kelurahan", gettext_lazy("Kelurahan code"), parse_kelurahan_code,
               aliases=("kelurahan_code", "kode_kel", "kode_desa"), example="35.73.02.1001",
               help=gettext_lazy("Kemendagri code; with nomor_tps it names the TPS.")),
        Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number,
               aliases=("no_tps", "tps", "nomor"), example="1"),
        Column("id_tps", gettext_lazy("TPS id"), parse_tps_id, aliases=("tps_id",), example="",
               help=gettext_lazy("Posko's TPS id, instead of kode_kelurahan and nomor_tps.")),
    ]


PLAN_COLUMNS = with_no([
    *tps_columns(),
    Column("barang", gettext_lazy("Item"), parse_text(150), required=True,
           aliases=("kode_barang", "item", "nama_barang", "logistik", "jenis_logistik"),
           example="kotak_suara", help=gettext_lazy("The item's code or its name.")),
    Column("jumlah", gettext_lazy("Count"), parse_count, required=True,
           aliases=("count", "quantity", "qty", "banyaknya"), example="2"),
    Column("tanggal_rencana", gettext_lazy("Planned date"), parse_date, required=True,
           aliases=("tanggal", "planned_date", "tanggal_distribusi", "rencana"),
           example="2024-11-25", help=gettext_lazy("2024-11-25 or 25-11-2024.")),
])


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text).lower())


class TpsRowsMixin:
    """Rows naming their TPS by ``kode_kelurahan`` + ``nomor_tps`` or ``id_tps``, limited to
    the TPS of the election the importing user may edit (the plan and the history imports)."""

    def check_columns(self, present: set[str]) -> list[str]:
        if "id_tps" in present or {"kode_kelurahan", "nomor_tps"} <= present:
            return []
        return [_("The file needs kode_kelurahan and nomor_tps columns (or an id_tps column).")]

    def load_tps(self):
        """Read the TPS the user may edit; returns their queryset."""
        allowed = Tps.objects.editable_by(self.actor).filter(election=self.election)
        self.tps_by_key: dict[tuple[str, int], tuple] = {}
        self.tps_by_id: dict[int, tuple] = {}
        for row in allowed.values_list("pk", "kelurahan_id", "number", "kecamatan_id").iterator(
                chunk_size=5000):
            self.tps_by_key[(row[1], row[2])] = row
            self.tps_by_id[row[0]] = row
        return allowed

    def tps_of(self, values, error):
        tps_id = values.get("id_tps")
        code, number = values.get("kode_kelurahan") or "", values.get("nomor_tps")
        if tps_id is not None:
            row = self.tps_by_id.get(tps_id)
            if row is None:
                error("id_tps", _("TPS id %(id)s is unknown or outside your region.") % {
                    "id": tps_id})
            elif code and number and (row[1], row[2]) != (code, number):
                error("id_tps", _("TPS id %(id)s is not TPS %(number)03d of %(code)s.") % {
                    "id": tps_id, "number": number, "code": code})
                return None
            return row
        if not code:
            error("kode_kelurahan", _("Fill in kode_kelurahan and nomor_tps, or id_tps."))
            return None
        if number is None:
            error("nomor_tps", _("Fill in the TPS number."))
            return None
        row = self.tps_by_key.get((code, number))
        if row is None:
            error("nomor_tps", _(
                "There is no TPS %(number)03d in kelurahan %(code)s within your region.") % {
                "number": number, "code": code})
        return row


class PlanImporter(TpsRowsMixin, ExampleRowMixin, ElectionImporter):
    columns = PLAN_COLUMNS
    noun = "rencana distribusi"
    # "TPS 001, 2 kotak suara on 25 November" is a plausible real row: only the CONTOH mark
    # makes the example.
    match_untouched_example = False

    def prepare(self) -> None:
        allowed = self.load_tps()
        self.items_by_code: dict[str, Item] = {}
        self.items_by_name: dict[str, list[Item]] = {}
        for item in Item.objects.filter(election=self.election):
            self.items_by_code[item.code.lower()] = item
            self.items_by_name.setdefault(_norm(item.name), []).append(item)
        self.existing = {
            (tps_id, item_id): (pk, quantity, planned)
            for pk, tps_id, item_id, quantity, planned in PlannedDistribution.objects.filter(
                election=self.election, tps_id__in=list(self.tps_by_id)
                if len(self.tps_by_id) < 5000 else allowed.values("pk"),
            ).values_list("pk", "tps_id", "item_id", "quantity", "planned_date").iterator(
                chunk_size=5000)
        }
        self.seen: dict[tuple[int, int], int] = {}

    def _item(self, text: str, error) -> Item | None:
        item = self.items_by_code.get(text.strip().lower())
        if item is None:
            matches = self.items_by_name.get(_norm(text), [])
            if len(matches) == 1:
                item = matches[0]
            elif len(matches) > 1:
                error("barang", _("%(item)s names more than one item: use the item code.") % {
                    "item": text})
                return None
        if item is None:
            error("barang", _("%(item)s is not an item of this election's catalogue.") % {
                "item": text})
            return None
        if not item.is_active:
            error("barang", _("%(item)s is not an active item.") % {"item": item.name})
            return None
        return item

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        tps = self.tps_of(values, error)
        item = self._item(values["barang"], error)
        if tps is None or item is None:
            return None
        key = (tps[0], item.pk)
        if key in self.seen:
            error("barang", _("%(item)s for this TPS is already on row %(row)s.") % {
                "item": item.name, "row": self.seen[key]})
            return None
        self.seen[key] = row
        return (tps, item, values["jumlah"], values["tanggal_rencana"])

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        to_create, to_update, changes = [], [], []
        election_id = self.election.pk
        for (tps_id, kel, number, kec), item, quantity, planned in objects:
            current = self.existing.get((tps_id, item.pk))
            obj = PlannedDistribution(election_id=election_id, tps_id=tps_id, kecamatan_id=kec,
                                      kelurahan_id=kel, item=item, quantity=quantity,
                                      planned_date=planned)
            label = f"TPS {number:03d} {kel}: {item.name}"
            if current is None:
                to_create.append((obj, label))
                continue
            pk, old_quantity, old_date = current
            if (old_quantity, old_date) == (quantity, planned):
                result.unchanged += 1
                continue
            obj.pk = pk
            to_update.append(obj)
            changes.append((obj, label, {"quantity": old_quantity,
                                         "planned_date": old_date.isoformat()}))
        created = PlannedDistribution.objects.bulk_create([o for o, _label in to_create],
                                                          batch_size=2000)
        if to_update:
            PlannedDistribution.objects.bulk_update(to_update, ["quantity", "planned_date"],
                                                    batch_size=2000)
        result.created, result.updated = len(created), len(to_update)

        def created_rows():
            for obj, label in to_create:
                yield (obj.pk, label, None, audit.snapshot(obj), obj.kecamatan_id, obj.kelurahan_id)

        def updated_rows():
            for obj, label, before in changes:
                after = audit.snapshot(obj)
                yield (obj.pk, label, {**after, **before}, after, obj.kecamatan_id,
                       obj.kelurahan_id)

        audit.insert_many(PlannedDistribution, "create", created_rows(), actor=self.actor,
                          message="import")
        audit.insert_many(PlannedDistribution, "update", updated_rows(), actor=self.actor,
                          message="import")
        return result
