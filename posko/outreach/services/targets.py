"""Turnout targets, settings and target groups (Desk admins)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from posko.core import audit, services
from posko.outreach.models import (
    Activity,
    OutreachSettings,
    TargetGroup,
    TurnoutTarget,
)
from posko.regions.models import Kecamatan, Kelurahan

Kind = Activity.Kind

DEFAULT_GROUPS = (
    ("pemilih-pemula", "Pemilih pemula", 10),
    ("perempuan", "Perempuan", 20),
    ("disabilitas", "Penyandang disabilitas", 30),
    ("lansia", "Lansia", 40),
    ("perantau", "Pekerja/mahasiswa perantau", 50),
    ("masyarakat-umum", "Masyarakat umum", 60),
)


def ensure_default_groups(**kwargs) -> int:
    """Create the default target groups that are missing (post_migrate and the demo)."""
    existing = set(TargetGroup.objects.values_list("code", flat=True))
    missing = [TargetGroup(code=c, name=n, order=o) for c, n, o in DEFAULT_GROUPS if c not in existing]
    TargetGroup.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


# --- targets and settings ---------------------------------------------------------------

def _admin_only(actor) -> None:
    if not getattr(actor, "is_desk_admin", False):
        raise PermissionDenied


def update_settings(obj: OutreachSettings, *, actor, before: dict,
                    expected_version: int | None = None) -> OutreachSettings:
    _admin_only(actor)
    for kind, value in (obj.caps or {}).items():
        if kind not in Kind.values or not isinstance(value, int) or value < 1:
            raise ValidationError({"caps": [_("Caps are whole numbers of at least 1 per kind.")]})
    return services.update(obj, actor=actor, before=before, expected_version=expected_version)


def set_target(election, *, kecamatan: Kecamatan, kelurahan: Kelurahan | None,
               percent: Decimal | None, actor) -> TurnoutTarget | None:
    """Set (or with ``percent`` None remove) the target of a kecamatan or kelurahan."""
    _admin_only(actor)
    if kelurahan is not None and kelurahan.kecamatan_id != kecamatan.pk:
        raise ValidationError({"kelurahan": [_("This kelurahan is not in the chosen kecamatan.")]})
    current = TurnoutTarget.objects.filter(election=election, kecamatan=kecamatan,
                                           kelurahan=kelurahan).first()
    if percent is None:
        if current is not None:
            services.delete(current, actor=actor)
        return None
    if not (Decimal("1") <= percent <= Decimal("100")):
        raise ValidationError({"percent": [_("A target is between 1 and 100 %.")]})
    if current is None:
        return services.create(TurnoutTarget(election=election, kecamatan=kecamatan,
                                             kelurahan=kelurahan, percent=percent), actor=actor)
    before = audit.snapshot(current)
    current.percent = percent
    return services.update(current, actor=actor, before=before)


def save_group(group: TargetGroup, *, actor) -> TargetGroup:
    _admin_only(actor)
    group.name = (group.name or "").strip()
    if not group.code:

        group.code = slugify(group.name)[:40] or "kelompok"
    if TargetGroup.objects.filter(name__iexact=group.name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": [_("A target group with this name exists already.")]})
    if group.pk is None:
        base, n = group.code, 2
        while TargetGroup.objects.filter(code=group.code).exists():
            group.code = f"{base[:36]}-{n}"
            n += 1
        return services.create(group, actor=actor)
    return services.update(group, actor=actor, before=audit.snapshot(
        TargetGroup.objects.get(pk=group.pk)))
