"""The item catalogue of an election: the default catalogue for an East Java Pilkada and
the writes to items. Changing a norm recomputes the election's requirements in the same
transaction (``requirements.recompute``), so requirements are never typed and never stale.

Defaults (shared/domain/README.md, "Logistics per TPS", Pilkada 2024 East Java): ballots
per contest = DPT + the election's reserve (2.5 %), rounded up per TPS; 1 ballot box per
contest; 4 voting booths; 2 bottles of ink; 1 braille template, 1 set of result forms
(Model C.Hasil-KWK), 1 set of envelopes and 1 candidate poster per contest; 1 DPT/DPTb
copy and 1 KPPS kit per TPS. The number of seals (20) and of ballot punches (4, one per
booth) are demo defaults, not KPU figures: adjust them on the item page.

The ballots and the result forms differ per contest (colour, candidates, form model), so
they are one line per contest of the election, named with the contest ("Surat suara Wali
Kota Malang", code ``surat-suara-walikota``): a shortfall, a receipt, a requirement names
the contest. A contest added later gets its lines when the defaults are installed again."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from posko.core import audit, services
from posko.core.services import raise_problems
from posko.elections.models import Contest
from posko.logistics.models import Item, LogisticsSettings
from posko.logistics.rules import item_problems, settings_problems
from posko.logistics.services import requirements

# Changing one of these changes what every TPS needs.
NORM_FIELDS = ("norm", "quantity", "voters_per_block", "is_active")


@dataclass(frozen=True)
class DefaultItem:
    code: str
    name: str
    unit: str
    norm: str
    quantity: int = 1
    voters_per_block: int | None = None
    per_contest_line: bool = False  # one line per contest, named with it


N = Item.Norm
DEFAULT_ITEMS = (
    DefaultItem("surat-suara", "Surat suara", "lembar", N.BALLOTS, per_contest_line=True),
    DefaultItem("kotak-suara", "Kotak suara", "buah", N.PER_CONTEST, 1),
    DefaultItem("bilik-suara", "Bilik pemungutan suara", "buah", N.PER_TPS, 4),
    DefaultItem("tinta", "Tinta sidik jari", "botol", N.PER_TPS, 2),
    DefaultItem("segel", "Segel", "lembar", N.PER_TPS, 20),  # demo default
    DefaultItem("template-braille", "Alat bantu tunanetra (template braille)", "buah",
                N.PER_CONTEST, 1),
    DefaultItem("formulir-c-hasil", "Formulir Model C.Hasil-KWK", "set", N.PER_CONTEST, 1,
                per_contest_line=True),
    DefaultItem("sampul", "Sampul kertas", "set", N.PER_CONTEST, 1),
    DefaultItem("salinan-dpt", "Salinan DPT dan DPTb", "set", N.PER_TPS, 1),
    DefaultItem("poster-paslon", "Daftar pasangan calon (poster)", "lembar", N.PER_CONTEST, 1),
    DefaultItem("perlengkapan-kpps", "Perlengkapan KPPS", "paket", N.PER_TPS, 1),
    DefaultItem("alat-coblos", "Alat coblos (paku) dan alas coblos", "set", N.PER_TPS, 4),  # demo default
)


def _check(item: Item) -> None:
    if item.norm != Item.Norm.PER_VOTERS:
        item.voters_per_block = None  # meaningless for the other norms
    raise_problems(item_problems(item))


def _norm_changed(before: dict, item: Item) -> bool:
    after = audit.snapshot(item)
    return any(before.get(field) != after.get(field) for field in NORM_FIELDS)


@transaction.atomic
def create_item(item: Item, *, actor) -> Item:
    """Add an item to its election's catalogue; an active item gets requirements at once."""
    _check(item)
    services.create(item, actor=actor)
    if item.is_active:
        requirements.recompute(item.election, item_ids=[item.pk])
    return item


@transaction.atomic
def update_item(item: Item, *, actor, before: dict) -> Item:
    """Save ``item``; when its norm, quantity or activity changed, recompute the election's
    requirements (and readiness) in the same transaction."""
    _check(item)
    recompute = _norm_changed(before, item)
    services.update(item, actor=actor, before=before,
                    message=_("norm changed: requirements recomputed") if recompute else "")
    if recompute:
        requirements.recompute(item.election, item_ids=[item.pk])
    return item


def contest_line_code(code: str, contest) -> str:
    """The code of ``code``'s line for one contest: ``surat-suara-walikota``."""
    return f"{code}-{contest.level}"[:40]


def _default_lines(election):
    """(code, name, contest, spec) of every line of the default catalogue for ``election``."""
    contests = list(Contest.objects.filter(election=election).order_by("pk"))
    for spec in DEFAULT_ITEMS:
        if not spec.per_contest_line:
            yield spec.code, spec.name, None, spec
            continue
        for contest in contests:
            yield (contest_line_code(spec.code, contest), f"{spec.name} {contest.name}"[:150],
                   contest, spec)


def missing_defaults(election) -> int:
    """How many lines of the default catalogue ``election`` lacks (matched by code)."""
    have = set(Item.objects.filter(election=election).values_list("code", flat=True))
    return sum(1 for code, _name, _contest, _spec in _default_lines(election) if code not in have)


@transaction.atomic
def install_defaults(election, *, actor) -> int:
    """Add the default catalogue's items that ``election`` lacks (matched by code; the
    ballots and result forms once per contest of the election); items already there are
    left as they are. Returns the number of items added; requirements are recomputed once
    when any was."""
    have = Item.objects.filter(election=election)
    taken = set(have.values_list("code", flat=True))
    order = max(have.values_list("order", flat=True), default=0)
    added = []
    for code, name, contest, spec in _default_lines(election):
        if code in taken:
            continue
        taken.add(code)
        order += 10
        item = Item(election=election, code=code, name=name, unit=spec.unit, contest=contest,
                    norm=spec.norm, quantity=spec.quantity, voters_per_block=spec.voters_per_block,
                    order=order)
        _check(item)
        services.create(item, actor=actor, message=_("default catalogue"))
        added.append(item.pk)
    if added:
        requirements.recompute(election, item_ids=added)
    return len(added)


def norm_label(item: Item, reserve_percent) -> str:
    """The norm in words, e.g. "4 per TPS", "1 per contest", "DPT + 2.5 % per contest…"."""
    if item.norm == Item.Norm.PER_TPS:
        return _("%(n)s per TPS") % {"n": item.quantity}
    if item.norm == Item.Norm.PER_CONTEST:
        if item.contest_id:
            return _("%(n)s per TPS of this contest") % {"n": item.quantity}
        return _("%(n)s per contest") % {"n": item.quantity}
    if item.norm == Item.Norm.BALLOTS:
        reserve = f"{reserve_percent:f}".rstrip("0").rstrip(".")
        if item.contest_id:
            return _("DPT + %(reserve)s %% for this contest, rounded up per TPS") % {
                "reserve": reserve}
        reserve = f"{reserve_percent:f}".rstrip("0").rstrip(".")
        return _("DPT + %(reserve)s %% per contest, rounded up per TPS") % {"reserve": reserve}
    return _("%(n)s per %(block)s voters (or part of it)") % {
        "n": item.quantity, "block": item.voters_per_block or 1}


# --- logistics settings ------------------------------------------------------------------------

@transaction.atomic
def save_settings(obj: LogisticsSettings, *, actor, before: dict | None,
                  expected_version: int | None = None) -> LogisticsSettings:
    """Create or update an election's logistics settings (``before`` is None for a new row;
    ``expected_version`` is the version the editor loaded, None for the stored one)."""
    raise_problems(settings_problems(obj))
    if before is None:
        return services.create(obj, actor=actor)
    return services.update(obj, actor=actor, before=before, expected_version=expected_version)
