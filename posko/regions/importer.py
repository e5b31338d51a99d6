"""Loading the national list of administrative areas (Kemendagri codes).

Idempotent: rows are matched on their code; a new code is created, a changed
name or parent is updated, nothing is duplicated and nothing is deleted (a code
that disappeared from the source is only counted, since TPS may point at it).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from posko.core.bulk import insert_rows
from posko.regions.models import KabKota, Kecamatan, Kelurahan, Provinsi

DATA_DIR = Path(__file__).resolve().parent / "data"

# (model, file, parent field, code pattern)
LEVELS = [
    (Provinsi, "provinces.csv", None, re.compile(r"^\d{2}$")),
    (KabKota, "regencies.csv", "provinsi_id", re.compile(r"^\d{2}\.\d{2}$")),
    (Kecamatan, "districts.csv", "kabkota_id", re.compile(r"^\d{2}\.\d{2}\.\d{2}$")),
    (Kelurahan, "villages.csv", "kecamatan_id", re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")),
]
ONLY_PATTERN = re.compile(r"^\d{2}(\.\d{2}(\.\d{2})?)?$")


class WilayahError(Exception):
    pass


@dataclass
class LevelResult:
    label: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_from_source: int = 0


@dataclass
class ImportResult:
    levels: list[LevelResult] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(level.created + level.updated for level in self.levels)


def _read(path: Path, code_pattern: re.Pattern, has_parent: bool) -> list[tuple[str, str | None, str]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        expected = ["code", "name"] if not has_parent else None
        if header is None or (expected and header != expected) or header[0] != "code" or header[-1] != "name":
            raise WilayahError(f"{path.name}: unexpected header {header!r}")
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise WilayahError(f"{path.name} line {number}: expected {len(header)} columns")
            code, name = row[0].strip(), row[-1].strip()
            parent = row[1].strip() if has_parent else None
            if not code_pattern.match(code) or not name:
                raise WilayahError(f"{path.name} line {number}: bad code or empty name: {row!r}")
            if has_parent and code.rsplit(".", 1)[0] != parent:
                raise WilayahError(f"{path.name} line {number}: code {code} is not under {parent}")
            rows.append((code, parent, name))
    return rows


def _in_only(code: str, only: str | None) -> bool:
    if not only:
        return True
    # A parent of the selected region, the region itself, or anything under it.
    return only.startswith(code + ".") or code == only or code.startswith(only + ".")


def import_wilayah(*, only: str | None = None, data_dir: Path = DATA_DIR,
                   batch_size: int = 5000) -> ImportResult:
    if only is not None and not ONLY_PATTERN.match(only):
        raise WilayahError(
            f"--only {only!r}: give a Kemendagri code of a province (35), kab/kota (35.73) "
            "or kecamatan (35.73.01)."
        )
    result = ImportResult()
    with transaction.atomic():
        for model, filename, parent_field, pattern in LEVELS:
            rows = _read(data_dir / filename, pattern, parent_field is not None)
            rows = [row for row in rows if _in_only(row[0], only)]
            if only and model is Provinsi and not rows:
                raise WilayahError(f"--only {only}: no such region in the national list.")
            level = LevelResult(str(model._meta.verbose_name_plural))
            fields = ["name"] + ([parent_field] if parent_field else [])
            existing = {
                values[0]: values[1:]
                for values in model.objects.values_list("code", *fields).iterator(chunk_size=10000)
            }
            to_create, to_update = [], []
            for code, parent, name in rows:
                current = existing.pop(code, None)
                wanted = (name, parent) if parent_field else (name,)
                if current is None:
                    to_create.append((code, name, parent) if parent_field else (code, name))
                elif tuple(current) != wanted:
                    obj = model(code=code, name=name)
                    if parent_field:
                        setattr(obj, parent_field, parent)
                    to_update.append(obj)
                else:
                    level.unchanged += 1
            if to_create:
                # Plain value rows through the import engine's fast path (COPY / executemany).
                insert_rows(model, ["code", "name", *([parent_field] if parent_field else [])],
                            to_create, batch_size=batch_size)
            if to_update:
                model.objects.bulk_update(to_update, fields, batch_size=1000)
            level.created, level.updated = len(to_create), len(to_update)
            if not only:
                level.missing_from_source = len(existing)
            result.levels.append(level)
    return result
