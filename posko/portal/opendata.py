"""The open data of an election: one row per TPS with the public figures of the public
sections, as CSV and JSON, a manifest with the SHA-256 of each file, under a licence."""

from __future__ import annotations

import csv
import hashlib
import io
import json

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.core import clock, public
from posko.portal import sections as tps_section

LICENCE = {
    "name": "CC BY 4.0",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "statement": "Figures of the Pemda's Desk Pilkada, published under Creative Commons "
                 "Attribution 4.0 International (CC BY 4.0): share and adapt them, naming the "
                 "source. Kemendagri area codes and names: idn-area-data 4.0.1 by Fityan Nugroho "
                 "and contributors, Open Database License (ODbL 1.0). Unofficial: the official "
                 "results are the KPU's.",
}
FILES = ("tps.csv", "tps.json")


def columns(election, shown) -> list[tuple[str, str, str]]:
    """(section key, column, label) in order: the spine, then each public section's."""
    cols = [("", name, str(label)) for name, label in tps_section.SPINE]
    for section in shown:
        cols += [(section.key, name, str(label)) for name, label in section.columns]
    return cols


def table(election, shown) -> tuple[list, list[dict]]:
    cols = columns(election, shown)
    spine = tps_section.rows(election)
    per_section = {s.key: (s.rows(election) if s.rows else {}) for s in shown if s.columns}
    rows = []
    for tps_id, base in spine.items():
        row = {}
        for key, name, _label in cols:
            source = base if key in ("", "tps") else per_section.get(key, {}).get(tps_id, {})
            row[name] = source.get(name)
        rows.append(row)
    public.assert_public(rows)
    return cols, rows


def _csv(cols, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for _key, name, _label in cols])
    for row in rows:
        writer.writerow(["" if row[name] is None else row[name] for _key, name, _label in cols])
    return out.getvalue().encode("utf-8")


def _meta(election, shown) -> dict:
    return {"id": election.pk, "name": election.name, "voting_date": election.voting_date.isoformat()}


def build(election, shown) -> dict[str, bytes]:
    """{"tps.csv": bytes, "tps.json": bytes, "manifest.json": bytes}, built together so the
    manifest's hashes are those of the files served beside it."""
    cols, rows = table(election, shown)
    generated = clock.now().isoformat(timespec="seconds")
    notes = {s.key: str(s.note) for s in shown if s.note}
    files = {
        "tps.csv": _csv(cols, rows),
        "tps.json": json.dumps({
            "election": _meta(election, shown), "generated_at": generated, "licence": LICENCE,
            "notes": notes,
            "columns": [{"name": name, "label": label, "section": key or "tps"}
                        for key, name, label in cols],
            "rows": rows}, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
    }
    manifest = {
        "election": _meta(election, shown), "generated_at": generated, "licence": LICENCE,
        "notes": notes,
        "files": [{"name": name, "url": reverse("portal:data_file", args=[election.pk, name]),
                   "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
                  for name, body in files.items()],
        "description": _("One row per TPS: the public figures of this election."),
    }
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    return files
