"""Import of the TPS registry from CSV or XLSX (engine: posko.core.importer).

Rows are matched on (kelurahan, TPS number) within the active election: a
known TPS is updated, a new one created, so re-importing a file duplicates
nothing. Every row is checked with the same rules as the edit form and the API.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, clock
from posko.core.bulk import insert_rows
from posko.core.importer import (
    CellError,
    Column,
    ElectionImporter,
    ImportResult,
    parse_bool,
    parse_decimal,
    parse_int,
    parse_text,
)
from posko.core.templates_example import ExampleRowMixin, with_no
from posko.elections import rules
from posko.elections.models import Tps, place_codes
from posko.elections.signals import announce_tps_changed
from posko.regions.models import Kelurahan, Pemda

_SPECIAL = {
    "": "", "-": "", "tidak": "", "bukan": "",
    "lapas": "lapas", "rutan": "lapas", "lapas_rutan": "lapas", "penjara": "lapas",
    "rumah_sakit": "rumah_sakit", "rs": "rumah_sakit", "rumahsakit": "rumah_sakit",
    "kampus": "kampus", "universitas": "kampus",
    "lainnya": "lainnya", "lain": "lainnya", "other": "lainnya",
}


_TPS_NUMBER = re.compile(r"(?i)(?:tps\s*)?0*(\d{1,4})(?:\.0)?")
_KELURAHAN_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}")
_RT_RW = re.compile(r"\d{1,3}")


def parse_tps_number(value: str) -> int | None:
    value = value.strip()
    match = _TPS_NUMBER.fullmatch(value)
    if value == "":
        return None
    if not match or int(match.group(1)) < 1 or int(match.group(1)) > 9999:
        raise CellError(_("%(value)r is not a TPS number (e.g. 1 or TPS 001).") % {"value": value})
    return int(match.group(1))


def parse_kelurahan_code(value: str) -> str:
    value = value.strip()
    if value and not _KELURAHAN_CODE.fullmatch(value):
        if re.fullmatch(r"\d{10}", value):  # 3573021001 without dots
            return f"{value[:2]}.{value[2:4]}.{value[4:6]}.{value[6:]}"
        raise CellError(_("%(value)r is not a kelurahan code like 35.73.02.1001.") % {"value": value})
    return value


def parse_rt_rw(value: str) -> str:
    value = value.strip()
    if value and not _RT_RW.fullmatch(value):
        raise CellError(_("%(value)r is not an RT/RW number (up to 3 digits).") % {"value": value})
    return value.zfill(3) if value else ""


def parse_voters(value: str) -> int | None:
    return parse_int(value, minimum=0, maximum=100_000)


def parse_special(value: str) -> str:
    key = re.sub(r"[\s\-/]+", "_", value.strip().lower())
    if key not in _SPECIAL:
        raise CellError(_("%(value)r is not a special location (lapas, rumah_sakit, kampus, lainnya).")
                        % {"value": value})
    return _SPECIAL[key]


TPS_COLUMNS = with_no([
    Column("kode_kelurahan", gettext_lazy("Kelurahan code"), parse_kelurahan_code,
           aliases=("kelurahan_code", "kode_kel", "kode_desa"), example="35.73.02.1001",
           help=gettext_lazy("Kemendagri code; or fill in kecamatan and kelurahan names instead.")),
    Column("kecamatan", gettext_lazy("Kecamatan name"), parse_text(100), aliases=("nama_kecamatan",),
           example="Klojen"),
    Column("kelurahan", gettext_lazy("Kelurahan name"), parse_text(100),
           aliases=("nama_kelurahan", "desa", "kelurahan_desa"), example="Klojen",
           help=gettext_lazy("With kode_kelurahan: checked against the code.")),
    Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number, required=True,
           aliases=("no_tps", "tps", "nomor", "number"), example="1"),
    Column("alamat", gettext_lazy("Address"), parse_text(255), aliases=("address", "lokasi"),
           example="Jl. Kahuripan No. 1"),
    Column("rt", "RT", parse_rt_rw, example="001"),
    Column("rw", "RW", parse_rt_rw, example="002"),
    Column("latitude", gettext_lazy("Latitude"), parse_decimal, aliases=("lat", "lintang"),
           example="-7.982"),
    Column("longitude", gettext_lazy("Longitude"), parse_decimal,
           aliases=("lon", "lng", "long", "bujur"), example="112.630"),
    Column("dpt_laki_laki", gettext_lazy("DPT men"), parse_voters, required=True,
           aliases=("dpt_l", "laki_laki", "dpt_men", "l"), example="250"),
    Column("dpt_perempuan", gettext_lazy("DPT women"), parse_voters, required=True,
           aliases=("dpt_p", "perempuan", "dpt_women", "p"), example="260"),
    Column("lokasi_khusus", gettext_lazy("Special location"), parse_special,
           aliases=("special_location",), example="",
           help=gettext_lazy("Empty, lapas, rumah_sakit, kampus or lainnya.")),
    Column("keterangan_lokasi_khusus", gettext_lazy("Special location note"), parse_text(200),
           aliases=("ket_lokasi_khusus", "special_location_note"), example=""),
    Column("akses_disabilitas", gettext_lazy("Accessible"), parse_bool,
           aliases=("disabilitas", "accessible", "ramah_disabilitas"), example="ya",
           help=gettext_lazy("ya or tidak; empty means ya.")),
    Column("catatan", gettext_lazy("Notes"), parse_text(2000), aliases=("notes", "keterangan")),
])

# Model field for each file column, to compare and update.
FIELD_OF = {
    "alamat": "address", "rt": "rt", "rw": "rw", "latitude": "latitude", "longitude": "longitude",
    "dpt_laki_laki": "dpt_men", "dpt_perempuan": "dpt_women", "lokasi_khusus": "special_location",
    "keterangan_lokasi_khusus": "special_location_note", "akses_disabilitas": "accessible",
    "catatan": "notes",
}
_DEFAULTS = {"address": "", "rt": "", "rw": "", "special_location": "", "special_location_note": "",
             "notes": "", "accessible": True, "dpt_men": 0, "dpt_women": 0}
_MERGE_PLAN = [(column, field, _DEFAULTS.get(field)) for column, field in FIELD_OF.items()]
_EXISTING_FIELDS = ["pk", "kelurahan_id", "number", *FIELD_OF.values()]
# Column to blame for a rule problem on a model field.
COLUMN_OF = {v: k for k, v in FIELD_OF.items()} | {
    "kelurahan": "kode_kelurahan", "number": "nomor_tps",
    "dpt_total": "dpt_laki_laki + dpt_perempuan"}


_PLACE_PREFIX = re.compile(r"^(?:kelurahan|kel|desa|ds|kecamatan|kec)\b\.?\s*")


def _norm_name(name: str) -> str:
    """A place name compared forgivingly: case, spaces and punctuation, and a "Kel." /
    "Kelurahan" / "Desa" / "Kec." prefix do not count ("Kel. Klojen" is "KLOJEN")."""
    text = unicodedata.normalize("NFKC", name).strip().lower()
    text = _PLACE_PREFIX.sub("", text, count=1)
    return re.sub(r"[^a-z0-9]", "", text)


def kelurahan_label(code: str, name: str) -> str:
    """ "Kel. Klojen" or "Desa Oro-Oro Ombo" (Kemendagri numbers kelurahan 1xxx, desa 2xxx)."""
    return (_("Desa %(name)s") if code.rsplit(".", 1)[-1].startswith("2")
            else _("Kel. %(name)s")) % {"name": name}


def place_name_problems(code: str, kelurahan_name: str, kecamatan_name: str, *, given_kelurahan: str,
                        given_kecamatan: str) -> list[tuple[str, str]]:
    """(column, message) when a file names a kelurahan or kecamatan other than its code's."""
    problems = []
    if given_kelurahan and _norm_name(given_kelurahan) != _norm_name(kelurahan_name):
        problems.append(("kelurahan", _("code %(code)s is %(place)s, not %(given)s") % {
            "code": code, "place": kelurahan_label(code, kelurahan_name),
            "given": given_kelurahan}))
    if given_kecamatan and _norm_name(given_kecamatan) != _norm_name(kecamatan_name):
        problems.append(("kecamatan", _("code %(code)s is in Kec. %(kecamatan)s, not %(given)s") % {
            "code": code, "kecamatan": kecamatan_name, "given": given_kecamatan}))
    return problems


class TpsImporter(ExampleRowMixin, ElectionImporter):
    columns = TPS_COLUMNS
    noun = "TPS"

    def check_columns(self, present: set[str]) -> list[str]:
        self.present = present
        if "kode_kelurahan" not in present and "kelurahan" not in present:
            return [_("The file needs a kode_kelurahan column (or a kelurahan name column).")]
        return []

    def prepare(self) -> None:
        self.pemda = Pemda.current()
        allowed = Kelurahan.objects.editable_by(self.actor) if self.actor.can_edit_registry else \
            Kelurahan.objects.none()
        self.allowed: dict[str, str] = dict(allowed.values_list("code", "name"))
        by_name: dict[str, list[str]] = {}
        by_pair: dict[tuple[str, str], str] = {}
        kecamatan_of: dict[str, str] = {}
        for code, name, kec_name in allowed.values_list("code", "name", "kecamatan__name"):
            by_name.setdefault(_norm_name(name), []).append(code)
            by_pair[(_norm_name(kec_name), _norm_name(name))] = code
            kecamatan_of[code] = kec_name
        self.by_name, self.by_pair, self.kecamatan_of = by_name, by_pair, kecamatan_of
        fields = _EXISTING_FIELDS
        self.existing = {
            (row[1], row[2]): row
            for row in Tps.objects.filter(election=self.election)
            .filter(Q(kelurahan_id__in=list(self.allowed)) if len(self.allowed) < 5000 else Q())
            .values_list(*fields).iterator(chunk_size=5000)
        }
        self.seen: dict[tuple[str, int], int] = {}

    def _resolve_kelurahan(self, values, error) -> str | None:
        code = values.get("kode_kelurahan") or ""
        if code:
            if code not in self.allowed:
                error("kode_kelurahan", _(
                    "Kelurahan code %(code)s is unknown or outside your region.") % {"code": code})
                return None
            # A code and a name that disagree: which one the user meant is unknown.
            problems = place_name_problems(
                code, self.allowed[code], self.kecamatan_of[code],
                given_kelurahan=values.get("kelurahan") or "",
                given_kecamatan=values.get("kecamatan") or "")
            for column, message in problems:
                error(column, message)
            return None if problems else code
        name = values.get("kelurahan") or ""
        if not name:
            error("kelurahan", _("Fill in kode_kelurahan or the kelurahan name."))
            return None
        kec = values.get("kecamatan") or ""
        if kec:
            code = self.by_pair.get((_norm_name(kec), _norm_name(name)))
            if code is None:
                error("kelurahan", _(
                    "There is no kelurahan %(name)s in kecamatan %(kecamatan)s within your region."
                ) % {"name": name, "kecamatan": kec})
            return code
        codes = self.by_name.get(_norm_name(name), [])
        if len(codes) == 1:
            return codes[0]
        if not codes:
            error("kelurahan", _("There is no kelurahan %(name)s within your region.") % {"name": name})
        else:
            error("kelurahan", _(
                "Kelurahan %(name)s exists in more than one kecamatan: fill in the kecamatan column."
            ) % {"name": name})
        return None

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        code = self._resolve_kelurahan(values, error)
        if code is None:
            return None
        number = values["nomor_tps"]
        key = (code, number)
        if key in self.seen:
            error("nomor_tps", _("TPS %(number)03d of this kelurahan is already on row %(row)s.") % {
                "number": number, "row": self.seen[key]})
            return None
        self.seen[key] = row
        existing = self.existing.get(key)
        current = dict(zip(_EXISTING_FIELDS, existing, strict=True)) if existing else None
        present = self.present
        merged = {}
        for column, field, default in _MERGE_PLAN:
            value = values.get(column)
            if value is None:
                # A column missing from the file keeps the stored value; an empty cell clears it.
                value = current[field] if current is not None and column not in present else default
            merged[field] = value
        problems = rules.tps_problems(
            election=self.election, pemda=self.pemda, kelurahan_code=code, number=number,
            dpt_men=merged["dpt_men"], dpt_women=merged["dpt_women"],
            latitude=merged["latitude"], longitude=merged["longitude"],
            special_location=merged["special_location"],
            special_location_note=merged["special_location_note"], number_taken=False)
        for field, message in problems:
            error(COLUMN_OF.get(field, field), message)
        if problems:
            return None
        for f in ("latitude", "longitude"):
            if merged[f] is not None:
                merged[f] = merged[f].quantize(_MICRO)
        return (current, code, number, merged)

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        to_create, to_update, before_after = [], [], []
        changed_fields: set[str] = set()
        election_id = self.election.pk
        now = clock.now()
        for current, code, number, merged in objects:
            kec, kab = place_codes(code)
            if current is None:
                to_create.append((election_id, code, kec, kab, number,
                                  *(merged[f] for f in FIELD_OF.values()), now, now))
                continue
            diff = {f for f, v in merged.items() if _differs(current[f], v)}
            if not diff:
                result.unchanged += 1
                continue
            changed_fields |= diff
            tps = Tps(pk=current["pk"], election_id=election_id, kelurahan_id=code, kecamatan_id=kec,
                      kabkota_id=kab, number=number, updated_at=now, **merged)
            to_update.append(tps)
            before_after.append((tps, current))
        insert_rows(Tps, INSERT_FIELDS, to_create)
        if to_update:
            Tps.objects.bulk_update(to_update, sorted(changed_fields | {"updated_at"}), batch_size=1000)
        result.created, result.updated = len(to_create), len(to_update)
        self._audit(to_create, before_after)
        changed_ids = [tps.pk for tps in to_update] + list(self._new_ids.values())
        if changed_ids:
            announce_tps_changed(self.election, changed_ids)
        return result

    def _audit(self, created_rows, before_after) -> None:
        """One audit row per created or changed TPS, written in bulk."""
        names = self.allowed
        created_keys = {(row[1], row[4]) for row in created_rows}
        new_ids = {}
        if created_keys:
            new_ids = {
                (kel, number): pk for pk, kel, number in Tps.objects.filter(
                    election=self.election, created_at=created_rows[0][-1]
                ).values_list("pk", "kelurahan_id", "number").iterator(chunk_size=10000)
                if (kel, number) in created_keys
            }
        self._new_ids = new_ids
        snapshot_fields = ["election", "kelurahan", "kecamatan", "kabkota", "number",
                           *FIELD_OF.values()]

        lat, lon = snapshot_fields.index("latitude"), snapshot_fields.index("longitude")

        def created():
            for row in created_rows:
                after = dict(zip(snapshot_fields, row[:-2], strict=True))
                if row[lat] is not None:
                    after["latitude"], after["longitude"] = str(row[lat]), str(row[lon])
                pk = new_ids[(row[1], row[4])]
                yield (pk, f"TPS {row[4]:03d} {names.get(row[1], '')}", None, {"id": pk, **after},
                       row[2], row[1])

        def updated():
            for tps, current in before_after:
                after = audit.snapshot(tps)
                before = {**after, **{f: _jsonable(current[f]) for f in FIELD_OF.values()}}
                yield (tps.pk, f"TPS {tps.number:03d} {names.get(tps.kelurahan_id, '')}", before,
                       after, tps.kecamatan_id, tps.kelurahan_id)

        audit.insert_many(Tps, "create", created(), actor=self.actor, message="import")
        audit.insert_many(Tps, "update", updated(), actor=self.actor, message="import")


INSERT_FIELDS = ["election_id", "kelurahan_id", "kecamatan_id", "kabkota_id", "number",
                 *FIELD_OF.values(), "created_at", "updated_at"]


_MICRO = Decimal("0.000001")


def _differs(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        if old is None or new is None:
            return old is not new
        return Decimal(old) != Decimal(new)
    return old != new


def _jsonable(value):
    return str(value) if isinstance(value, Decimal) else value
