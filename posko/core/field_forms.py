"""Field forms for the offline field app (issue 18), contributed by modules.

The field app (``posko.fieldapp``) shows, caches and queues forms it does not know: each
module declares its own in its ``AppConfig.ready()``::

    from posko.core import field_forms as ff
    ff.register_form(ff.FieldForm(
        key="voting.status", label=_("TPS status"), order=10,
        url=ff.api_url("api:voting-tps-report", "tps"),
        fields=[ff.Field("tps", _("TPS"), "tps", required=True),
                ff.Field("state", _("State"), "choice", choices=State.choices), ...],
        capture_time="happened_at", data=builder))

- ``url``: the API endpoint the entry is POSTed to, with ``{name}`` placeholders filled from
  the entry's fields (the TPS id, a shipment id). It must take an ``Idempotency-Key``
  (``posko.core.idempotency``): the phone sends each entry under its own key, again and
  again until it has an answer, and the server stores it once.
- ``fields``: what the form asks (types below). Labels are lazy strings, rendered in the
  user's language when the app shell is built (Bahasa Indonesia by default).
- ``capture_time`` / ``capture_gps``: body fields the phone fills with the time and the
  position (``navigator.geolocation``, optional) *at capture*, not at sending.
- ``data(user, election) -> dict | None``: what the form needs offline besides the user's
  TPS list (contests and pairs, the shipments waiting for the user, categories), already
  scoped to the user; cached on the phone with the shell. A fixed number of queries.
- ``visible(user) -> bool``: whether the user gets the form at all (e.g. roles that write).
- ``rejected_help``: what to do when the server refuses an entry (shown in the outbox).

Field types: ``tps`` (one of the user's TPS), ``int``, ``text``, ``textarea``, ``datetime``
(a date and time picked on the phone, sent as ISO 8601 with its zone), ``choice``
(``choices`` or ``options``: a key of the form's data holding ``[[value, label], ...]``),
``multi`` (checkboxes among the same ``choices``/``options``; sends a list of values),
``votes`` (a number per pair of the contest chosen in field ``source``; data key
``options``: ``{contest id: [[ballot number, name], ...]}``), ``lines`` (a count per line
of the record chosen in field ``source``; data key ``options``: ``{id: {"version": n,
"lines": [[item, label, expected], ...]}}``; sends ``[{item, received, damaged}]`` and the
record's ``version``), ``checks`` (an answer among ``choices`` per item of the record chosen
in field ``source``; data key ``options``: ``{id: [[item, label], ...]}``; sends
``[{item, answer}]`` for the items answered), ``photo`` (a picture resized on the phone, sent as a second entry to
``upload["url"]`` as multipart ``upload["file_field"]`` with the SHA-256 computed on the
phone in the ``X-Content-SHA256`` header, plus ``upload["fields"]``: form field → upload
field), ``hidden`` (a constant ``default``).

Nothing here imports an app: a module removed from INSTALLED_APPS declares no form and the
field app simply does not offer it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

TYPES = {"tps", "int", "text", "textarea", "datetime", "choice", "multi", "votes", "lines",
         "checks", "photo", "hidden"}
#: A sentinel id reversed into an URL and replaced by ``{name}``.
_SENTINEL = 987654321


@dataclass(frozen=True)
class Field:
    name: str
    label: object
    type: str
    required: bool = False
    choices: tuple = ()
    options: str = ""  # a key of the form's data
    source: str = ""  # votes/lines: the field whose value picks the options
    default: object = None
    minimum: int | None = 0
    maximum: int | None = 100_000
    help: object = ""
    upload: dict = field(default_factory=dict)  # photo: url, file_field, fields
    scan: str = ""  # text/textarea: codes the camera may read into it ("qr_code code_128")

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class FieldForm:
    key: str
    label: object
    url: str | Callable[[], str]
    fields: tuple | list
    order: int = 100
    description: object = ""
    capture_time: str = ""
    capture_gps: tuple[str, str] | None = None
    data: Callable | None = None
    visible: Callable | None = None
    rejected_help: object = ""

    def endpoint(self) -> str:
        return self.url() if callable(self.url) else self.url


_forms: dict[str, FieldForm] = {}


def register_form(form: FieldForm) -> None:
    """Add (or replace: same key) a field form."""
    for item in form.fields:
        if item.type == "photo" and not item.upload.get("url"):
            raise ValueError(f"{form.key}.{item.name}: a photo field needs upload['url']")
    _forms[form.key] = form


def unregister_form(key: str) -> None:
    _forms.pop(key, None)


def registered() -> list[FieldForm]:
    return sorted(_forms.values(), key=lambda f: (f.order, f.key))


def forms_for(user) -> list[FieldForm]:
    """The forms ``user`` may fill, in order."""
    return [f for f in registered() if f.visible is None or f.visible(user)]


def api_url(url_name: str, placeholder: str) -> Callable[[], str]:
    """A lazy URL template for a detail route: ``/api/v1/voting/tps/{tps}/report/``."""

    def build() -> str:
        return reverse(url_name, args=[_SENTINEL]).replace(str(_SENTINEL), "{" + placeholder + "}")

    return build


def _text(value) -> str:
    return str(value) if value is not None else ""


def describe(form: FieldForm, user, election) -> dict:
    """The form as the phone renders it (JSON), labels in the current language, with its
    offline data."""
    fields = []
    for item in form.fields:
        entry = {"name": item.name, "label": _text(item.label), "type": item.type,
                 "required": item.required, "help": _text(item.help)}
        if item.choices:
            entry["choices"] = [[value, _text(label)] for value, label in item.choices]
        for key in ("options", "source", "scan"):
            if getattr(item, key):
                entry[key] = getattr(item, key)
        if item.default is not None:
            entry["default"] = item.default
        if item.type == "int":
            entry["min"], entry["max"] = item.minimum, item.maximum
        if item.type == "photo":
            upload = dict(item.upload)
            url = upload["url"]
            upload["url"] = url() if callable(url) else url
            entry["upload"] = upload
        fields.append(entry)
    data = form.data(user, election) if form.data is not None and election is not None else None
    return {"key": form.key, "label": _text(form.label), "description": _text(form.description),
            "url": form.endpoint(), "fields": fields, "capture_time": form.capture_time,
            "capture_gps": list(form.capture_gps or ()), "data": data or {},
            "rejected_help": _text(form.rejected_help)}
