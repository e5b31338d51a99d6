"""KPU's published results per TPS as the third source (``TpsResult`` source "kpu"), from
KPU's per-TPS JSON files (one file, or a zip of them: see ``voting.kpu``) or a CSV/XLSX
with one row per TPS × contest. Runs as a background job (``core.import``), all or nothing:
every problem is listed (a file's problems under its name) and nothing is saved until the
whole upload is clean.

Candidate ids → ballot numbers: the ``mapping`` option (``100025=1, 100026=2`` …), else a
KPU candidate list in the zip (``paslon*.json``), else KPU's ordering: the contest's ids in
ascending order are ballot numbers 1, 2, 3 … (only when there are as many ids as pairs).

The same file again changes nothing; a file whose numbers or image links changed adds a
version with the reason "KPU memperbarui data <ts>". Each changed TPS × contest is
reconciled (``services.reconcile.refresh``)."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock
from posko.core.import_files import ImportFileError
from posko.core.importer import (
    Column,
    ElectionImporter,
    ImportResult,
    RowError,
    parse_int,
    parse_text,
)
from posko.core.time_budget import TimeBudget
from posko.elections.imports import parse_kelurahan_code, parse_tps_number
from posko.elections.models import Tps
from posko.voting import kpu
from posko.voting.models import ResultStatus, Source, TpsResult
from posko.voting.rules import result_checks, result_flags
from posko.voting.services.reconcile import refresh_many
from posko.voting.services.results import ballot_numbers, contests_at, contests_of

MAX_PAIRS = 12
NUMBERS = ("voters_dpt", "voters_dptb", "voters_dpk", "voters_men", "voters_women", "valid",
           "invalid", "ballots_used")


class KpuResult(ImportResult):
    """An import's counts, with the files KPU has not published numbers for yet."""

    skipped: int = 0

    def summary(self) -> str:
        text = super().summary()
        if self.skipped:
            text += _(", %(n)s without KPU numbers yet") % {"n": self.skipped}
        return text


class FileRowError(RowError):
    def __str__(self):
        return _("File %(file)s: %(message)s") % {"file": self.column, "message": self.message}


def parse_mapping(text: str) -> dict[str, int]:
    """``100025=1, 100026=2`` (commas, semicolons or new lines; ``:`` or ``→`` too)."""
    found = {}
    for part in re.split(r"[,;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d+)\s*(?:=|:|→|->)\s*(\d+)", part)
        if not match:
            raise ValueError(_("%(part)r is not “candidate id = ballot number” (e.g. "
                               "100025=1).") % {"part": part})
        found[match.group(1)] = int(match.group(2))
    return found


def _count_cell(value: str):
    return parse_int(value, minimum=0, maximum=100_000)


def _contest_cell(value: str) -> str:
    return value.strip()


COLUMNS = [
    Column("kode_kelurahan", gettext_lazy("Kelurahan code"), parse_kelurahan_code, required=True,
           aliases=("kode_desa", "kelurahan"), example="35.73.01.1001"),
    Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number, required=True,
           aliases=("tps", "no_tps"), example="1"),
    Column("kontes", gettext_lazy("Contest"), _contest_cell, aliases=("contest", "pemilihan"),
           example="walikota", help=gettext_lazy(
               "walikota, bupati or gubernur, the contest's name or id; empty: the contest "
               "chosen on the import page.")),
    *[Column(f"suara_{n}", gettext_lazy("Votes of the pair with this ballot number"), _count_cell,
             aliases=(f"paslon_{n}", f"votes_{n}"), example="117" if n == 1 else "")
      for n in range(1, MAX_PAIRS + 1)],
    Column("suara_sah", gettext_lazy("Valid votes"), _count_cell, required=True,
           aliases=("valid",), example="288"),
    Column("suara_tidak_sah", gettext_lazy("Invalid votes"), _count_cell, required=True,
           aliases=("invalid",), example="6"),
    Column("pengguna_dpt", gettext_lazy("Voters from the DPT"), _count_cell, required=True,
           aliases=("pengguna_dpt_j", "voters_dpt"), example="285"),
    Column("pengguna_dptb", gettext_lazy("Voters from the DPTb"), _count_cell,
           aliases=("pengguna_dptb_j", "voters_dptb"), example="4"),
    Column("pengguna_dpk", gettext_lazy("Voters from the DPK"), _count_cell,
           aliases=("pengguna_non_dpt_j", "pengguna_dpk_j", "voters_dpk"), example="5"),
    Column("suara_total", gettext_lazy("Total votes (ballots used)"), _count_cell,
           aliases=("ballots_used",), example="294"),
    Column("ts", gettext_lazy("KPU's time stamp"), parse_text(40), aliases=("waktu",),
           example="2024-11-27 18:44:00"),
]


class KpuImporter(ElectionImporter):
    noun = "hasil KPU per TPS"
    columns = COLUMNS

    def __init__(self, *, actor, election, contest=None, mapping: str = ""):
        super().__init__(actor=actor, election=election)
        self.contest_id = int(contest) if contest else None
        self.mapping_text = mapping or ""

    def job_params(self) -> dict:
        return {"election": self.election.pk, "contest": self.contest_id,
                "mapping": self.mapping_text}

    # --- lookups ---------------------------------------------------------------------------
    def prepare(self) -> None:
        try:
            self.mapping = parse_mapping(self.mapping_text)
        except ValueError as exc:
            raise ImportFileError(str(exc)) from None
        self.contests = contests_of(self.election)
        self.contest = next((c for c in self.contests if c.pk == self.contest_id), None)
        self.tps = {(t.kelurahan_id, t.number): t for t in Tps.objects.visible_to(
            self.actor).filter(election=self.election)}
        self.current = {(r.tps_id, r.contest_id): r for r in TpsResult.objects.filter(
            election=self.election, source=Source.KPU, is_current=True)}
        self.seen: dict[tuple[int, int], str] = {}
        self.now = clock.now()

    def _find_contest(self, text: str, level: str, tps):
        if text:
            low = text.lower()
            found = [c for c in self.contests if str(c.pk) == low or c.name.lower() == low
                     or c.level == low]
        elif level:
            found = [c for c in self.contests if c.level == level]
        else:
            found = [self.contest] if self.contest else []
        found = [c for c in found if c in contests_at(self.election, tps)]
        if len(found) != 1:
            raise ValueError(_("Cannot tell the contest%(what)s at %(tps)s: choose the contest on "
                               "the import page%(hint)s.") % {
                "what": f" “{text}”" if text else "", "tps": tps,
                "hint": _(" or fill in the kontes column") if text else ""})
        return found[0]

    def _votes(self, chart: dict[str, int], contest, ids_mapping: dict[str, int]) -> dict:
        pairs = ballot_numbers(contest)
        mapping = {**ids_mapping, **self.mapping}  # the import option wins
        if mapping:
            unknown = sorted(set(chart) - set(mapping), key=int)
            if unknown:
                raise ValueError(_("Candidate id %(ids)s is not in the mapping of candidate ids "
                                   "to ballot numbers (%(known)s).") % {
                    "ids": ", ".join(unknown),
                    "known": ", ".join(f"{k}={v}" for k, v in mapping.items())})
            votes = {mapping[cid]: count for cid, count in chart.items()}
        else:
            if len(chart) != len(pairs):
                raise ValueError(_(
                    "%(contest)s has %(pairs)s pairs but the file has %(ids)s candidate ids: give "
                    "the mapping of candidate ids to ballot numbers.") % {
                    "contest": contest, "pairs": len(pairs), "ids": len(chart)})
            votes = {n: chart[cid] for n, cid in enumerate(sorted(chart, key=int), start=1)}
        if len(votes) != len(chart):
            raise ValueError(_("Two candidate ids map to the same ballot number."))
        return _every_pair(votes, pairs, contest)

    def _entry(self, *, code, number, contest_text, level, numbers, votes_of, ref, evidence,
               ts, mapping=None):
        """A (tps, contest, values, votes, ref, evidence, ts) tuple, or ValueError."""
        tps = self.tps.get((code, number))
        if tps is None:
            raise ValueError(_("There is no TPS %(number)03d in kelurahan %(code)s within your "
                               "region.") % {"number": number, "code": code})
        contest = self._find_contest(contest_text, level, tps)
        votes = votes_of(contest, mapping or {})
        key = (tps.pk, contest.pk)
        if key in self.seen:
            raise ValueError(_("%(tps)s, %(contest)s is already in %(other)s.") % {
                "tps": tps, "contest": contest, "other": self.seen[key]})
        self.seen[key] = ref
        return tps, contest, numbers, votes, ref, evidence, ts

    # --- CSV / XLSX ------------------------------------------------------------------------
    def build(self, row, values, error):
        votes = {n: values.get(f"suara_{n}") for n in range(1, MAX_PAIRS + 1)
                 if values.get(f"suara_{n}") is not None}
        numbers = {"valid": values["suara_sah"], "invalid": values["suara_tidak_sah"],
                   "voters_dpt": values["pengguna_dpt"],
                   "voters_dptb": values.get("pengguna_dptb") or 0,
                   "voters_dpk": values.get("pengguna_dpk") or 0,
                   "ballots_used": values.get("suara_total")}

        def votes_of(contest, _mapping):
            return _every_pair(votes, ballot_numbers(contest), contest)

        ts = values.get("ts") or ""
        try:
            return self._entry(code=values["kode_kelurahan"], number=values["nomor_tps"],
                               contest_text=values.get("kontes") or "", level="",
                               numbers=numbers, votes_of=votes_of,
                               ref=_("row %(row)s") % {"row": row},
                               evidence={"file": self.filename, "row": row, "ts": ts}, ts=ts)
        except ValueError as exc:
            error(None, str(exc))
            return None

    # --- JSON files ------------------------------------------------------------------------
    def run(self, data: bytes, filename: str = "", *, time_limit=None) -> ImportResult:
        self.filename = filename
        if not kpu.is_json_upload(data, filename):
            result = super().run(data, filename, time_limit=time_limit)
            return KpuResult(**vars(result))
        seconds = time_limit or settings.POSKO_IMPORT_TIME_LIMIT
        budget = TimeBudget(seconds, lambda: ImportFileError(_(
            "The import was stopped after %(seconds)s seconds; nothing was saved.") % {
            "seconds": seconds}))
        result = KpuResult()
        try:
            self.prepare()
            objects = self._read_files(data, filename, result, budget)
        except ImportFileError as exc:
            result.file_error = str(exc)
            return result
        if result.errors:
            return result
        if not objects and not result.skipped:
            result.file_error = _("The upload holds no KPU TPS file (named like "
                                  "3573011001001.json).")
            return result
        with transaction.atomic():
            self._write(objects, result)
        return result

    def _read_files(self, data, filename, result, budget) -> list:
        files, mappings = [], {}
        for position, name, content in kpu.members(data, filename):
            budget.check()
            if isinstance(content, kpu.FileProblem):
                result.errors.append(FileRowError(position, name, str(content)))
            elif kpu.is_candidate_list(name):
                try:
                    mappings.update(kpu.mapping_file(content))
                except kpu.FileProblem as exc:
                    result.errors.append(FileRowError(position, name, str(exc)))
            else:
                files.append((position, name, content))
        objects = []
        for position, name, content in files:
            if not position % 500:
                self._progress("checking", position)
                budget.check()
            try:
                parsed = kpu.parse(name, content)
                if not parsed.published:
                    result.skipped += 1
                    continue
                ts = parsed.ts
                evidence = {"file": name, "sha256": parsed.sha256, "ts": ts,
                            "images": parsed.images, **parsed.status}
                objects.append(self._entry(
                    code=parsed.kelurahan_code, number=parsed.tps_number, contest_text="",
                    level=parsed.level, numbers=parsed.numbers,
                    votes_of=lambda contest, mapping, p=parsed: self._votes(p.chart, contest,
                                                                            mapping),
                    ref=name, evidence=evidence, ts=ts, mapping=mappings))
            except (kpu.FileProblem, ValueError) as exc:
                result.errors.append(FileRowError(position, name, str(exc)))
        return objects

    # --- writing ---------------------------------------------------------------------------
    def _entered_at(self, ts: str):
        try:
            moment = datetime.datetime.strptime(ts[:19], "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return self.now
        return min(timezone.make_aware(moment), self.now)

    def write(self, objects) -> ImportResult:
        written = KpuResult()
        changed, new = [], []
        for tps, contest, numbers, votes, ref, evidence, ts in objects:
            values = {field: numbers.get(field) for field in NUMBERS}
            values.update(ballots_received=None, ballots_unused=None, ballots_damaged=None)
            stored = {str(k): v for k, v in sorted(votes.items())}
            old = self.current.get((tps.pk, contest.pk))
            if old is not None and stored == old.votes and all(
                    getattr(old, f) == values[f] for f in NUMBERS) and \
                    evidence.get("images", []) == (old.evidence or {}).get("images", []):
                written.unchanged += 1
                continue
            entered = self._entered_at(ts)
            checks = result_checks(values, votes, tps.dpt_total)
            label = evidence.get("file", ref).rsplit("/", 1)[-1][:200]
            if "row" in evidence:
                label += f"#{evidence['row']}"  # a CSV/XLSX row
            row = TpsResult.for_tps(
                tps, contest=contest, source=Source.KPU, version=old.version + 1 if old else 1,
                is_current=True, is_counted=False, votes=stored, checks=checks,
                flags=result_flags(values, votes, tps.dpt_total, closed_at=None,
                                   entered_at=entered),
                status=ResultStatus.PERLU_VERIFIKASI if checks else ResultStatus.TERCATAT,
                external_ref=(f"{label}@{ts}" if ts else label)[:300], evidence=evidence,
                reason=f"KPU memperbarui data {ts}".strip() if old else "",
                entered_at=entered, entered_by=self.actor, device="impor KPU", **values)
            new.append(row)
            if old is not None:
                old.is_current = False
                changed.append(old)
                written.updated += 1
            else:
                written.created += 1
        if changed:
            TpsResult.objects.bulk_update(changed, ["is_current"], batch_size=500)
        TpsResult.objects.bulk_create(new, batch_size=500)
        refresh_many((row.tps, row.contest) for row in new)
        return written

def check_mapping(text: str) -> str | None:
    """The mapping option's problem, or None."""
    try:
        parse_mapping(text)
    except ValueError as exc:
        return str(exc)
    return None


def _every_pair(votes: dict, pairs, contest) -> dict:
    """``votes`` when it has exactly the contest's pairs; ValueError naming the others."""
    wrong = sorted(set(votes) - set(pairs))
    if wrong:
        raise ValueError(_("There is no pair number %(number)s in %(contest)s.") % {
            "number": ", ".join(map(str, wrong)), "contest": contest})
    missing = sorted(set(pairs) - set(votes))
    if missing:
        raise ValueError(_("The votes of pair %(number)s are missing.") % {
            "number": ", ".join(map(str, missing))})
    return votes
