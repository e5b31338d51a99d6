"""Sections of the public portal (no account), contributed by modules.

The portal module (``posko.portal``) draws an election's public pages from what modules
register here in their ``AppConfig.ready()``::

    from posko.core.public import register_public_section
    register_public_section("agenda", _("Outreach agenda"), builder, "outreach/_public.html",
                            order=40, columns=(("activities_held", _("Activities held")),),
                            rows=rows_per_tps, ttl=300)

- ``builder(election, kelurahan_code | None) -> dict | None``: the section's context for the
  whole election (``None``) or one kelurahan, or None to show nothing. **Aggregates per TPS
  or above only**: counts, sums, percentages, TPS numbers and addresses, dates and places of
  public events. Never a person: no names, NIK, phone numbers, reporters, workers, users.
  The portal checks the keys (:func:`assert_public`) and a test renders every section with
  the demo and fails on any personal value. The builder runs a fixed number of queries.
- ``template_name``: rendered with ``section`` (the builder's dict), ``election`` and
  ``kelurahan`` (code or None); no request, no user: the portal caches the rendered page for
  everyone.
- ``columns`` and ``rows(election) -> {tps_id: {column: value}}``: the section's columns in
  the per-TPS open data (CSV/JSON); only aggregates per TPS.
- ``ttl``: seconds the portal may serve the section from its cache (voting night: short).
- ``public_by_default``: whether an election's portal shows it until the admin chooses.
- ``note``: a sentence the open data carries with the section's columns (e.g. "unofficial").

Nothing here imports an app: a module removed from INSTALLED_APPS registers no section and
the portal simply does not show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Key words that must never name a value a public section hands out (split on "_").
PERSONAL_WORDS = frozenset({
    "nik", "nip", "phone", "telepon", "hp", "whatsapp", "email", "contact", "kontak", "reporter",
    "pelapor", "user", "username", "worker", "workers", "petugas", "asn", "person", "people",
    "birth", "lahir", "npwp", "rekening", "account", "entered", "created", "signatory",
})


@dataclass(frozen=True)
class PublicSection:
    key: str
    label: object
    builder: Callable
    template_name: str
    order: int = 100
    columns: tuple = ()
    rows: Callable | None = None
    ttl: int = 300
    public_by_default: bool = True
    note: object = ""


_sections: dict[str, PublicSection] = {}


def register_public_section(key: str, label, builder: Callable, template_name: str, *,
                            order: int = 100, columns=(), rows: Callable | None = None,
                            ttl: int = 300, public_by_default: bool = True,
                            note="") -> None:
    """Add (or replace: same key) a section of the public portal."""
    _sections[key] = PublicSection(key, label, builder, template_name, order, tuple(columns),
                                   rows, ttl, public_by_default, note)


def unregister_public_section(key: str) -> None:
    _sections.pop(key, None)


def sections() -> list[PublicSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def section(key: str) -> PublicSection | None:
    return _sections.get(key)


class PersonalDataError(ValueError):
    """A public section handed out a key that names personal data."""


def personal_key(key) -> bool:
    words = str(key).lower().replace("-", "_").split("_")
    return any(word in PERSONAL_WORDS for word in words)


def assert_public(value, path: str = "") -> None:
    """Raise PersonalDataError if any mapping key inside ``value`` names personal data."""
    if isinstance(value, dict):
        for key, item in value.items():
            if personal_key(key):
                raise PersonalDataError(f"{path}{key}")
            assert_public(item, f"{path}{key}.")
    elif isinstance(value, list | tuple):
        for item in value:
            assert_public(item, path)
