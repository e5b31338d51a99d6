"""Receipt forms: confirm one shipment, or every pending TPS shipment of a kelurahan at once."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.forms import StyledFormMixin
from posko.logistics.forms.fields import (
    DATETIME_WIDGET,
    PHOTO_ACCEPT,
    count_field,
    scan_widget,
)
from posko.logistics.services.receipts import BatchError


class LineRow:
    """One shipment line with its three input fields (received, damaged, explanation)."""

    def __init__(self, form, line, prefix=""):
        self.line = line
        self.received = form[f"{prefix}received_{line.item_id}"]
        self.damaged = form[f"{prefix}damaged_{line.item_id}"]
        self.explanation = form[f"{prefix}explanation_{line.item_id}"]

    @property
    def errors(self):
        return [*self.received.errors, *self.damaged.errors, *self.explanation.errors]


def add_line_fields(form, lines, prefix="", required=True) -> None:
    for line in lines:
        name = line.item.name
        form.fields[f"{prefix}received_{line.item_id}"] = count_field(
            required=required, initial=line.dispatched,
            label=_("%(item)s received") % {"item": name})
        form.fields[f"{prefix}damaged_{line.item_id}"] = count_field(
            required=False, initial=0, label=_("%(item)s damaged") % {"item": name})
        form.fields[f"{prefix}explanation_{line.item_id}"] = forms.CharField(
            required=False, max_length=300, widget=forms.TextInput(attrs={"class": "input"}),
            label=_("%(item)s: explanation") % {"item": name},
            help_text=_("Required when more was received than dispatched."))


def line_counts(data, lines, prefix="") -> dict:
    """The service's ``counts`` from cleaned form data."""
    return {line.item_id: (data.get(f"{prefix}received_{line.item_id}"),
                           data.get(f"{prefix}damaged_{line.item_id}") or 0,
                           data.get(f"{prefix}explanation_{line.item_id}") or "")
            for line in lines}


class ReceiptForm(StyledFormMixin, forms.Form):
    """Confirm one shipment: per line ``received_<item pk>`` (prefilled with what was
    dispatched), ``damaged_<item pk>``, ``explanation_<item pk>``."""

    receiver_name = forms.CharField(label=_("Received by (name)"), max_length=150)
    received_at = forms.DateTimeField(label=_("Received at"), widget=DATETIME_WIDGET,
                                      required=False, help_text=_("Empty: now."))
    photo = forms.FileField(label=_("Photo of the signed hand-over record (berita acara)"),
                            required=False, widget=forms.ClearableFileInput(
                                attrs={"accept": PHOTO_ACCEPT}),
                            help_text=_("Optional. JPEG, PNG or WEBP; the content is checked."))
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    seal_numbers = forms.CharField(
        label=_("Seal numbers at receipt"), max_length=300, required=False,
        widget=scan_widget(multiple=True, rows=0),
        help_text=_("Optional: scan or type the seals on arrival; they are compared with "
                    "those written at dispatch."))
    box_codes = forms.CharField(
        label=_("Box labels received"), required=False, widget=scan_widget(multiple=True),
        help_text=_("Scan the QR label of every box that arrived (one per line); optional."))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, shipment, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipment, self.lines = shipment, lines
        self.initial.setdefault("version", shipment.version)
        self.initial.setdefault("received_at", timezone.localtime(clock.now()).replace(second=0,
                                                                              microsecond=0))
        add_line_fields(self, lines)

    def rows(self):
        return [LineRow(self, line) for line in self.lines]

    def counts(self) -> dict:
        return line_counts(self.cleaned_data, self.lines)

    def add_service_errors(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                for message in errors:
                    self.add_error(key if key in self.fields else None, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


class FastReceiptForm(StyledFormMixin, forms.Form):
    """Every pending TPS shipment of a kelurahan on one page: one receiver name and time,
    per shipment ``s<pk>-confirm`` (checked: confirm it) and ``s<pk>-version``, per line
    ``s<pk>-received_<item>``, ``s<pk>-damaged_<item>``, ``s<pk>-explanation_<item>``."""

    receiver_name = forms.CharField(label=_("Received by (name)"), max_length=150)
    received_at = forms.DateTimeField(label=_("Received at"), widget=DATETIME_WIDGET,
                                      required=False, help_text=_("Empty: now."))

    def __init__(self, *args, shipments, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipments = shipments
        self.initial.setdefault("received_at", timezone.localtime(clock.now()).replace(second=0,
                                                                              microsecond=0))
        self.shipment_errors: dict[int, list[str]] = {}
        for shipment in shipments:
            prefix = f"s{shipment.pk}-"
            self.fields[f"{prefix}confirm"] = forms.BooleanField(
                required=False, initial=True, label=_("Arrived: confirm this shipment"))
            self.fields[f"{prefix}version"] = forms.IntegerField(
                widget=forms.HiddenInput, min_value=1, initial=shipment.version, required=False)
            add_line_fields(self, shipment.pending_lines, prefix=prefix, required=False)

    def selected(self):
        if not self.is_bound:
            return list(self.shipments)
        return [s for s in self.shipments if self.data.get(f"s{s.pk}-confirm")]

    def clean(self):
        data = super().clean()
        selected = {f"s{s.pk}-" for s in self.selected()}
        # Rows of shipments left unticked are not confirmed, so their inputs are not checked.
        for name in list(self._errors or {}):
            if name.startswith("s") and "-" in name and f"{name.split('-', 1)[0]}-" not in selected:
                del self._errors[name]
        if not selected:
            raise forms.ValidationError(_("Tick at least one shipment to confirm."))
        return data

    def entries(self):
        data = self.cleaned_data
        for shipment in self.selected():
            prefix = f"s{shipment.pk}-"
            yield (shipment, line_counts(data, shipment.pending_lines, prefix),
                   data.get(f"{prefix}version"))

    def add_batch_errors(self, exc: BatchError) -> None:
        for key, messages in exc.header.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
        for pk, error in exc.by_shipment.items():
            prefix = f"s{pk}-"
            if hasattr(error, "error_dict"):
                for key, messages in error.message_dict.items():
                    name = f"{prefix}{key}"
                    for message in messages:
                        if name in self.fields:
                            self.add_error(name, message)
                        else:
                            self.shipment_errors.setdefault(pk, []).append(message)
            else:
                self.shipment_errors.setdefault(pk, []).extend(error.messages)

    def cards(self):
        """One card per TPS, each with its pending shipments and their rows."""
        cards: dict[int, dict] = {}
        for shipment in self.shipments:
            prefix = f"s{shipment.pk}-"
            card = cards.setdefault(shipment.tps_id, {"tps": shipment.tps, "shipments": [],
                                                      "has_errors": False})
            rows = [LineRow(self, line, prefix) for line in shipment.pending_lines]
            errors = self.shipment_errors.get(shipment.pk, [])
            card["has_errors"] |= bool(errors) or any(row.errors for row in rows)
            card["shipments"].append({
                "shipment": shipment, "confirm": self[f"{prefix}confirm"],
                "version": self[f"{prefix}version"], "errors": errors, "rows": rows})
        return list(cards.values())
