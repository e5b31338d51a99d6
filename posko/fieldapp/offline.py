"""What the field app caches on the phone for a user: the forms modules declare
(``core.field_forms``) with their data, the user's TPS, the strings of the app in the
user's language, and the static files the service worker precaches."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.translation import gettext as _

from posko.core import field_forms
from posko.elections.models import Tps

#: At most this many TPS are cached on a phone (a lurah has a few dozen, a camat a few
#: hundred; a Desk admin of a whole province gets the first ones and types the rest).
TPS_LIMIT = 2000

#: The app's own files, precached by the service worker.
STATIC_FILES = ["posko/fieldapp/app.js", "posko/fieldapp/fields.js", "posko/fieldapp/outbox.js",
                "posko/fieldapp/app.css",
                "posko/fieldapp/icon-192.png", "posko/fieldapp/icon-512.png",
                # the camera button of the receipt's seal and box-label fields; its decoder
                # (ZXing, ~100 KB gzipped) is not precached: Chrome on Android reads codes
                # with its own BarcodeDetector, and typing stays possible offline
                "posko/scan.js", "posko/scan.css"]


def tps_list(user, election) -> list:
    """``[[id, "TPS 001 · Kelurahan"], ...]`` in the user's scope (one query)."""
    if election is None:
        return []
    rows = Tps.objects.visible_to(user).filter(election=election).order_by(
        "kelurahan__name", "number").values_list("pk", "number", "kelurahan__name")[:TPS_LIMIT]
    return [[pk, f"TPS {number:03d} · {kelurahan}"] for pk, number, kelurahan in rows]


def forms(user, election) -> list[dict]:
    return [field_forms.describe(form, user, election) for form in field_forms.forms_for(user)]


def strings() -> dict:
    """The app's texts in the current language (msgids in English, Indonesian in the
    catalogue): the JavaScript reads them from the page, never has its own."""
    return {
        "pending": _("waiting for signal"), "sending": _("sending"), "sent": _("sent"),
        "rejected": _("rejected"), "login": _("log in again to send"),
        "saved": _("Saved on the phone. It will be sent when there is a signal."),
        "required": _("Fill in this field."), "empty_outbox": _("Nothing in the outbox."),
        "online": _("online"), "offline": _("offline"), "remove": _("Remove"),
        "remove_confirm": _("Remove this entry from the phone? It has not been sent."),
        "what_to_do": _("What to do"), "captured": _("captured"), "gps": _("position"),
        "no_gps": _("no position"), "attempts": _("attempts"), "next_try": _("next try"),
        "choose": _("— choose —"), "photo_of": _("Photo"), "total": _("Total"),
        "persisted": _("Storage on this phone is kept (persistent)."),
        "not_persisted": _("The browser may clear this storage when the phone is full: send "
                           "or export entries soon."),
        "exported": _("Exported %(n)s unsent entries."), "dispatched": _("dispatched"),
        "received": _("received"), "damaged": _("damaged"), "save": _("Save on the phone"),
        "reopen": _("Open again to correct (saved as a new entry)"),
        "offline_preparing": _("Preparing the app to open without a signal…"),
        "offline_ready": _("Ready: the app opens without a signal."),
        "offline_failed": _("Not ready to open without a signal yet: some files did not "
                            "arrive. Trying again; keep this page open while there is a signal."),
    }


@cache
def static_version() -> str:
    """A hash of the app's static files (the service worker adds its own text): a new version
    makes phones install the new service worker and drop the old cache."""
    digest = hashlib.sha256(settings.POSKO_FIELDAPP_PHOTO_MAX_PX.to_bytes(4, "big"))
    for name in STATIC_FILES:
        path = finders.find(name)
        if path:
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def precache_urls() -> list[str]:
    return [static(name) for name in STATIC_FILES]
