"""Quick-count designs: create or change, draw, lock, delete — Desk admin only, each
validated, saved and audited in one transaction with the design's version checked
(optimistic lock). A locked sample is never drawn again, changed or deleted; designs are
made, drawn and locked before voting day (see quickcount/rules.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock
from posko.core.services import ConflictError, bump_version, raise_problems
from posko.voting.models import QuickCountDesign, QuickCountTps
from posko.voting.quickcount import design as qc_design
from posko.voting.quickcount import frame as qc_frame
from posko.voting.quickcount.rules import change_problems, design_problems

FIELDS = ("strata", "target_moe", "sample_size", "min_per_stratum", "seed", "show_after_percent")


def _admin_only(actor) -> None:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied


def asked_size(design, population: int) -> int:
    """The n asked for: from the target margin of error, or the given size."""
    if design.target_moe is not None:
        return qc_design.sample_size_for_moe(population, design.target_moe)
    return min(design.sample_size or 0, population)


def plan(design, sizes: dict[str, int]) -> dict[str, int]:
    """The planned sample size per stratum (minimums included)."""
    return qc_design.allocate(sizes, asked_size(design, sum(sizes.values())),
                              design.min_per_stratum)


def _locked(design) -> QuickCountDesign:
    # No select_related: the lock is on the design row alone.
    return QuickCountDesign.objects.select_for_update().get(pk=design.pk)


def save_design(contest, values: dict, *, actor, election, design=None,
                expected_version: int | None = None, now=None) -> QuickCountDesign:
    """Create the contest's design or change it (an unlocked one; a drawn sample is
    discarded: the changed design must be drawn again)."""
    _admin_only(actor)
    now = now or clock.now()
    values = {name: values.get(name) for name in FIELDS}
    population = qc_frame.population(contest).count()
    with transaction.atomic():
        if design is None:
            raise_problems(change_problems(None, election, now, action="create"))
            raise_problems(design_problems(target_moe=values["target_moe"],
                                           sample_size=values["sample_size"],
                                           population=population))
            design = QuickCountDesign(election_id=contest.election_id, contest=contest, **values)
            design.full_clean(validate_unique=False)
            try:
                with transaction.atomic():
                    design.save()
            except IntegrityError:
                raise ConflictError(_(
                    "Someone else created this contest's quick-count design meanwhile: reload "
                    "the page to see it.")) from None
            audit.record("create", design, actor=actor, after=audit.snapshot(design))
            return design
        design = _locked(design)
        raise_problems(change_problems(design, election, now, action="change"))
        raise_problems(design_problems(target_moe=values["target_moe"],
                                       sample_size=values["sample_size"], population=population))
        before = audit.snapshot(design)
        bump_version(design, expected_version, locked=True)
        for name, value in values.items():
            setattr(design, name, value)
        message = ""
        if design.drawn_at:
            QuickCountTps.objects.filter(design=design).delete()
            design.drawn_at, design.sample_hash = None, ""
            message = _("The design changed: the sample drawn before was discarded.")
        design.full_clean(validate_unique=False)
        design.save()
        audit.record("update", design, actor=actor, before=before, after=audit.snapshot(design),
                     message=message)
    return design


def draw_sample(design, *, actor, election, expected_version: int | None = None,
                now=None, population_qs=None) -> QuickCountDesign:
    """Draw (or draw again, before the lock) the sample with the recorded seed."""
    _admin_only(actor)
    now = now or clock.now()
    with transaction.atomic():
        design = _locked(design)
        raise_problems(change_problems(design, election, now, action="draw"))
        before = audit.snapshot(design)
        bump_version(design, expected_version, locked=True)
        tps = qc_frame.population(design.contest) if population_qs is None else population_qs
        frame = qc_frame.frame(tps, design.strata)
        sizes = qc_design.strata_sizes(frame)
        allocation = plan(design, sizes)
        chosen = qc_design.draw(frame, allocation, design.seed)
        if not chosen:
            raise_problems([("__all__", _(
                "The contest has no TPS in the registry yet: nothing to draw from."))])
        QuickCountTps.objects.filter(design=design).delete()
        QuickCountTps.objects.bulk_create(
            [QuickCountTps(design=design, tps_id=t.pk, stratum=t.stratum, order=i)
             for i, t in enumerate(chosen, start=1)], batch_size=2000)
        design.sample_hash = qc_design.sample_hash(qc_design.canonical_line(t) for t in chosen)
        design.drawn_at = now
        design.save()
        audit.record("update", design, actor=actor, before=before, after=audit.snapshot(design),
                     message=_("Sample drawn: %(n)s TPS in %(strata)s strata from %(total)s, "
                               "seed %(seed)s, SHA-256 %(hash)s.") % {
                         "n": len(chosen), "strata": len(allocation), "total": len(frame),
                         "seed": design.seed, "hash": design.sample_hash})
    return design


def stored_hash(design) -> str:
    """The SHA-256 recomputed from the stored sample rows."""
    lines = [f"{stratum},{kel},{number}" for _pk, stratum, kel, number, _dpt
             in qc_frame.sample_rows(design)]
    return qc_design.sample_hash(lines)


def lock_sample(design, *, actor, election, expected_version: int | None = None,
                now=None) -> QuickCountDesign:
    """Lock the drawn sample: from now on it cannot be drawn again, changed or deleted."""
    _admin_only(actor)
    now = now or clock.now()
    with transaction.atomic():
        design = _locked(design)
        raise_problems(change_problems(design, election, now, action="lock"))
        if stored_hash(design) != design.sample_hash:
            raise_problems([("__all__", _(
                "The stored sample does not match its hash %(hash)s…: draw it again before "
                "locking.") % {"hash": design.sample_hash[:12]})])
        before = audit.snapshot(design)
        bump_version(design, expected_version, locked=True)
        design.locked_at, design.locked_by = now, actor
        design.save()
        audit.record("update", design, actor=actor, before=before, after=audit.snapshot(design),
                     message=_("Sample locked, SHA-256 %(hash)s.") % {"hash": design.sample_hash})
    return design


def delete_design(design, *, actor, election, expected_version: int | None = None,
                  now=None) -> None:
    """Delete an unlocked design and its sample."""
    _admin_only(actor)
    now = now or clock.now()
    with transaction.atomic():
        design = _locked(design)
        raise_problems(change_problems(design, election, now, action="delete"))
        bump_version(design, expected_version, locked=True)
        entry = audit.build("delete", design, actor=actor, before=audit.snapshot(design))
        design.delete()
        entry.save()
