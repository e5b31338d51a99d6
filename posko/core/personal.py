"""Personal data under UU PDP 27/2022, for every module: masks, the audited reveal and the
audited export.

Personal data (NIK, phone, names of reporters and ASN, home addresses) is masked on every page,
export and API response. A user with the personal-data permission
(``User.can_see_personal_data``: Desk admins, users given the flag) may reveal one object's
values with a reason of at least ``MIN_REASON`` characters; the reveal writes a ``view`` audit
row (who, what, why) in the same transaction as the read. An export with personal data in
clear names a purpose and a reason and is audited with its row count (``record_export``).

Modules call :func:`reveal` (services), use :class:`RevealViewMixin`, :class:`RevealForm` and
``core/_reveal_form.html`` on their pages and :func:`api_reveal` in a viewset's ``reveal``
action. An export view that writes personal data in clear sets ``personal_export = True``
and audits through :func:`record_export` (tests/test_personal_data_sweep.py enumerates them)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from posko.core import audit
from posko.core.forms import StyledFormMixin

MIN_REASON = 10
BULLET = "•"


# --- masks -----------------------------------------------------------------------------------

def mask_nik(nik: str) -> str:
    """3573••••••••0001: the first four and last four digits (the region and serial)."""
    nik = (nik or "").strip()
    if len(nik) <= 8:
        return BULLET * len(nik)
    return nik[:4] + BULLET * (len(nik) - 8) + nik[-4:]


def mask_phone(phone: str) -> str:
    """0812•••••678: the operator prefix and the last three digits; anything shorter (or an
    e-mail address, a contact of a public reporter) is all bullets but its first character."""
    phone = (phone or "").strip()
    if "@" in phone:
        local, _at, domain = phone.partition("@")
        return (local[:1] + BULLET * 3 + "@" + BULLET * 3) if local else BULLET * 3
    if len(phone) <= 7:
        return BULLET * len(phone)
    return phone[:4] + BULLET * (len(phone) - 7) + phone[-3:]


def mask_name(name: str) -> str:
    """"Budi Santoso" → "B*** S*****": the initials, enough to tell two rows apart."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in (name or "").split())


def mask_address(address: str) -> str:
    """An address is shown as bullets only (a street and number locate a person)."""
    return BULLET * 3 if (address or "").strip() else ""


# --- reasons and the audited reveal ------------------------------------------------------------

def check_reason(reason: str, message: str | None = None) -> str:
    """The reason, whitespace collapsed, at most 500 characters, or a ValidationError on
    ``reason`` when it is shorter than MIN_REASON."""
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON:
        raise ValidationError({"reason": [message or _(
            "Give the reason for revealing the personal data (at least %(n)s characters).")
            % {"n": MIN_REASON}]})
    return reason[:500]


def may_reveal(user) -> bool:
    return bool(getattr(user, "can_see_personal_data", False))


def reveal(obj, *, actor, reason: str, fields: list[str], read: Callable[[], dict],
           label: str = "") -> dict:
    """What ``read()`` returns (the values in clear), for a user with the personal-data
    permission and a reason; one ``view`` audit row naming the fields and the reason, in the
    same transaction. PermissionError without the permission, ValidationError on the reason:
    then nothing is read and nothing is recorded."""
    if not may_reveal(actor):
        raise PermissionError
    reason = check_reason(reason)
    with transaction.atomic():
        values = read()
        audit.record("view", obj, actor=actor, object_repr=str(obj),
                     after={"data": fields, "reason": reason},
                     message=_("Revealed %(what)s. Reason: %(reason)s") % {
                         "what": label or ", ".join(fields), "reason": reason})
    return values


# --- exports --------------------------------------------------------------------------------

def check_purpose(purpose: str, choices: list, other: str = "", other_key: str = "other") -> str:
    """The label of a purpose chosen from ``choices`` (an "other" choice needs its text), or
    ValidationError on ``purpose`` / ``purpose_other``."""
    labels = dict(choices)
    if purpose not in labels:
        raise ValidationError({"purpose": [_("Choose the purpose of the export.")]})
    if purpose == other_key:
        other = " ".join((other or "").split())[:200]
        if not other:
            raise ValidationError({"purpose_other": [_("Say what the other purpose is.")]})
        return str(_("Other: %(text)s") % {"text": other})
    return str(labels[purpose])


def record_export(actor, *, name: str, kind: str, rows: int, purpose: str, reason: str,
                  data: list[str], place: str = "", job: int | None = None) -> None:
    """The audit row of an export with personal data: what, how many rows, why (and the
    background job that wrote the file, if one did)."""
    after = {"rows": rows, "purpose": purpose, "reason": reason, "data": data,
             "format": kind, "filter": place or "-"}
    if job:
        after["job"] = job
    audit.record(
        "export", actor=actor, object_repr=name, after=after,
        message=_("%(kind)s with personal data (%(data)s): %(rows)s rows. Purpose: %(purpose)s. "
                  "Reason: %(reason)s. Filter: %(filter)s") % {
            "kind": kind, "data": ", ".join(data), "rows": rows, "purpose": purpose,
            "reason": reason, "filter": place or "-"})


# --- the form and the API body ------------------------------------------------------------------

class RevealForm(StyledFormMixin, forms.Form):
    """The reason asked before personal data is shown (``core/_reveal_form.html``)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500,
        help_text=gettext_lazy("Why you need the personal data in clear (recorded in the "
                               "audit log, at least 10 characters)."))

    def clean_reason(self):
        try:
            return check_reason(self.cleaned_data.get("reason", ""))
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["reason"]) from None


class RevealSerializer(serializers.Serializer):
    """The body of an API reveal: the reason (at least 10 characters), recorded in the audit
    log."""

    reason = serializers.CharField(max_length=500, help_text=(
        "Why the personal data is needed in clear (at least 10 characters); recorded in the "
        "audit log with the caller and the time."))

    def validate_reason(self, value):
        try:
            return check_reason(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["reason"]) from None


# --- the page ------------------------------------------------------------------------------------

class RevealViewMixin:
    """POST a reason on an object's page: the page again with the object's personal data in
    clear (audited, ``Cache-Control: no-store``), a 400 with the form's error, a 403 without the
    permission, a 404 outside the user's view. A view implements ``get_reveal_object()`` (scoped:
    404 outside), ``reveal_values(obj)`` (the values in clear), ``reveal_fields`` and
    ``render_reveal(obj, revealed=, reveal_form=, status=)``."""

    http_method_names = ["post"]
    reveal_fields: list[str] = []
    reveal_label = ""

    def get_reveal_object(self):
        raise NotImplementedError

    def reveal_values(self, obj) -> dict:
        raise NotImplementedError

    def render_reveal(self, obj, *, revealed=None, reveal_form=None, status=200):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        obj = self.get_reveal_object()
        if not may_reveal(request.user):
            raise PermissionDenied
        form = RevealForm(request.POST)
        if not form.is_valid():
            return self.render_reveal(obj, reveal_form=form, status=400)
        revealed = reveal(obj, actor=request.user, reason=form.cleaned_data["reason"],
                          fields=list(self.reveal_fields), label=str(self.reveal_label),
                          read=lambda: self.reveal_values(obj))
        response = self.render_reveal(obj, revealed=revealed)
        response["Cache-Control"] = "no-store"
        return response


# --- the API -------------------------------------------------------------------------------------

def api_reveal(request, do_reveal: Callable[[str], dict]):
    """The answer of an API reveal action (``POST …/{id}/reveal/`` with ``{"reason"}``), after
    the viewset found the object in the caller's scope (404 outside): 403 without the
    personal-data permission, 400 on a short reason (nothing read, nothing recorded), else
    ``do_reveal(reason)``'s values, not cached."""
    if not may_reveal(request.user):
        raise ApiPermissionDenied
    body = RevealSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    response = Response(do_reveal(body.validated_data["reason"]))
    response["Cache-Control"] = "no-store"
    return response
