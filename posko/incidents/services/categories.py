"""Report categories and the per-election incident settings."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from posko.accounts.models import Agency
from posko.core import constants, services
from posko.incidents.models import (
    Category,
    IncidentSettings,
)

DEFAULT_CATEGORIES = [
    # code, name, indicator, is_security, is_neutrality_asn, usual agency (short names tried)
    ("logistik", "Logistik", "", False, False, ("KPU",)),
    ("keamanan", "Keamanan & ketertiban", "", True, False, ("Polres", "Polresta", "Satpol PP")),
    ("politik_uang", "Politik uang", "politik_uang", False, False, ("Bawaslu",)),
    ("netralitas_asn", "Netralitas ASN", "asn_tidak_netral", False, True, ("Bawaslu", "BKPSDM")),
    ("netralitas_penyelenggara", "Netralitas penyelenggara", "penyelenggara_tidak_netral", False,
     False, ("Bawaslu",)),
    ("sara", "SARA & ujaran kebencian", "sara_ujaran_kebencian", False, False,
     ("Bawaslu", "Polres", "Polresta")),
    ("apk_kampanye", "APK & kampanye", "", False, False, ("Satpol PP", "Bawaslu")),
    ("bencana", "Bencana", "", False, False, ("BPBD",)),
    ("kesehatan_petugas", "Kesehatan petugas", "", False, False, ("Dinkes",)),
    ("listrik_internet", "Listrik & internet", "", False, False, ("PLN", "Diskominfo")),
    ("lainnya", "Lainnya", "", False, False, ()),
]


# --- categories and settings -------------------------------------------------------------------

def ensure_categories() -> int:
    """Install the default categories that are missing (by code); returns how many."""
    existing = set(Category.objects.values_list("code", flat=True))
    created = 0
    for order, (code, name, indicator, security, asn, agencies) in enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        agency = None
        for short in agencies:
            agency = Agency.objects.filter(Q(short_name__iexact=short) | Q(name__iexact=short)).first()
            if agency:
                break
        Category.objects.create(code=code, name=name, indicator=indicator, is_security=security,
                                is_neutrality_asn=asn, default_agency=agency, order=order * 10)
        created += 1
    return created


def install_default_categories() -> bool:
    """First use: install the default categories when there are none yet (True if it did)."""
    if Category.objects.exists():
        return False
    ensure_categories()
    return True


def active_categories():
    install_default_categories()
    return Category.objects.filter(is_active=True)


def settings_for(election) -> IncidentSettings:
    """The election's settings (a per-process constant; created with defaults on first use)."""
    return constants.get(("incidents.settings", election.pk),
                         lambda: IncidentSettings.for_election(election))


def category_in_use(code: str) -> Category | None:
    """The category in use with this code, or None (a per-process constant): the intake's
    lookup."""
    return constants.get_item(("incidents.categories",), code, lambda: {
        c.code: c for c in Category.objects.filter(is_active=True)})


@transaction.atomic
def update_settings(conf: IncidentSettings, *, actor, before: dict,
                    expected_version: int | None = None) -> IncidentSettings:
    """Save the Desk admin's change of an election's settings (audited; a stale form is a
    ConflictError)."""
    return services.update(conf, actor=actor, before=before, expected_version=expected_version)
