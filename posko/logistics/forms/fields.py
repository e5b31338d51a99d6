"""Fields and widgets the logistics forms and filters share."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.logistics.rules import MAX_COUNT
from posko.regions.filters import kelurahan_label

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
COUNT_MESSAGES = {
    "invalid": _("Enter a whole number (no decimals)."),
    "min_value": _("A count cannot be negative."),
    "max_value": _("This count is too large."),
    "required": _("Enter a count."),
}
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


def count_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=0, max_value=MAX_COUNT, error_messages=COUNT_MESSAGES,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric",
                                        "class": "input count"}), **kwargs)


def scan_widget(*, multiple: bool, rows: int = 2) -> forms.Widget:
    """An input the phone camera can fill (``static/posko/scan.js`` adds a "Scan" button next
    to it: QR and Code 128). ``multiple``: each scan adds a code (a line of a textarea of
    ``rows`` rows; ``rows=0``: ", " in a one-line input); typed entry stays possible."""
    attrs = {"data-scan": "qr_code code_128", "autocomplete": "off", "autocapitalize": "off",
             "spellcheck": "false"}
    if multiple:
        attrs["data-scan-append"] = "1"
    if multiple and rows:
        return forms.Textarea(attrs={**attrs, "rows": rows})
    return forms.TextInput(attrs=attrs)
