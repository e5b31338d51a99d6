"""Region scope: which rows a user may see and change.

Every model that belongs to a place declares a :class:`Scope` naming the
lookups from the model to its kab/kota, kecamatan and kelurahan codes. One
queryset method, ``visible_to(user)``, applies the Pemda boundary and the
user's role; ``editable_by(user)`` narrows it to what the user may change.
Views, API viewsets, exports and form dropdowns all call these, and detail
lookups go through them, so an object outside the scope is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.http import Http404

from posko.core.constants import WatchedQuerySet


@dataclass(frozen=True)
class Scope:
    """Lookups from a model to the codes of the places it belongs to."""

    kabkota: str | None = None  # lookup to the kab/kota code
    kecamatan: str | None = None  # lookup to the kecamatan code
    kelurahan: str | None = None  # lookup to the kelurahan code
    provinsi: str | None = None  # lookup to the province code (derived if omitted)

    def provinsi_lookup(self) -> str | None:
        if self.provinsi:
            return self.provinsi
        if self.kabkota:
            base = self.kabkota.removesuffix("_id").removesuffix("__code")
            return f"{base}__provinsi_id"
        return None


# The Pemda this instance serves. ``regions`` registers its provider in AppConfig.ready(),
# so core needs no import of a domain app (see docs/development/architecture.md).
_pemda_provider = None


def register_pemda_provider(provider) -> None:
    """``provider()`` returns the Pemda (with ``kabkota_id`` / ``provinsi_id``) or None."""
    global _pemda_provider
    _pemda_provider = provider


def pemda_filter(scope: Scope) -> models.Q:
    """The Q object restricting rows with ``scope`` to the Pemda's region (nothing without a
    Pemda)."""
    pemda = _pemda_provider() if _pemda_provider else None
    if pemda is None:
        return models.Q(pk__in=[])
    if pemda.kabkota_id:
        if scope.kabkota:
            return models.Q(**{scope.kabkota: pemda.kabkota_id})
    elif pemda.provinsi_id:
        lookup = scope.provinsi_lookup()
        if lookup:
            return models.Q(**{lookup: pemda.provinsi_id})
    return models.Q()


def region_filter(scope: Scope, user) -> models.Q:
    """The Q object restricting rows with ``scope`` to what ``user`` may see."""
    if user is None or not user.is_authenticated or not user.is_active:
        return models.Q(pk__in=[])
    q = pemda_filter(scope)
    kelurahan = getattr(user, "scope_kelurahan_id", None)
    kecamatan = getattr(user, "scope_kecamatan_id", None)
    if kelurahan and scope.kelurahan:
        q &= models.Q(**{scope.kelurahan: kelurahan})
    elif kecamatan and scope.kecamatan:
        q &= models.Q(**{scope.kecamatan: kecamatan})
    elif (kelurahan or kecamatan) and not (scope.kecamatan or scope.kelurahan):
        pass  # rows that belong to the whole Pemda are visible to every operator
    elif getattr(user, "is_region_bound", False):
        return models.Q(pk__in=[])  # a misconfigured operator sees nothing
    return q


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a model with a ``scope`` class attribute."""

    def visible_to(self, user):
        return self.filter(region_filter(self.model.scope, user))

    def editable_by(self, user):
        if user is None or not getattr(user, "can_edit_registry", False):
            return self.none()
        return self.visible_to(user)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class PemdaWideQuerySet(WatchedQuerySet):
    """Rows that belong to the whole Pemda (elections, meetings, catalogues): every
    signed-in user sees them; Desk Pilkada admins change them. Those a process caches
    (``core.constants.watch``) invalidate the cache on bulk writes too."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self

    def editable_by(self, user):
        return self if user is not None and getattr(user, "is_desk_admin", False) else self.none()


def may_edit_at(user, place) -> bool:
    """May ``user`` write rows at ``place`` (anything with ``kecamatan_id`` and
    ``kelurahan_id``, such as a TPS)? Registry editors inside their region: a Desk admin
    anywhere, a camat's office in its kecamatan, a lurah's office in its kelurahan."""
    if not (user is not None and user.is_authenticated and getattr(user, "can_edit_registry",
                                                                   False)):
        return False
    if getattr(user, "is_desk_admin", False):
        return True
    kelurahan = getattr(user, "scope_kelurahan_id", None)
    if kelurahan:
        return place.kelurahan_id == kelurahan
    kecamatan = getattr(user, "scope_kecamatan_id", None)
    return bool(kecamatan) and place.kecamatan_id == kecamatan


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one object the user may see, or raise 404 (never 403)."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
