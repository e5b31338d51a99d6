"""Forms and FilterSets of the chain-of-custody pages: shipments, receipts (one shipment,
or every pending shipment of a kelurahan at once), shortfall cases and the distribution
plan. Dropdowns list only what the user may choose; the services check everything again
and give the clear messages (e.g. a destination outside the sender's region)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.accounts.models import Agency
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Tps
from posko.logistics import custody
from posko.logistics.models import Item, PlannedDistribution, Shipment, Shortfall
from posko.regions.models import Kecamatan, Kelurahan

Level = Shipment.Level
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
COUNT_MESSAGES = {
    "invalid": _("Enter a whole number (no decimals)."),
    "min_value": _("A count cannot be negative."),
    "max_value": _("This count is too large."),
    "required": _("Enter a count."),
}
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"


def _user(request):
    return getattr(request, "user", None)


def kecamatan_choices(request):
    return Kecamatan.objects.visible_to(_user(request)).order_by("name")


def kelurahan_choices(request):
    return (Kelurahan.objects.visible_to(_user(request)).select_related("kecamatan")
            .order_by("kecamatan__name", "name"))


def kelurahan_label(kelurahan: Kelurahan) -> str:
    return f"{kelurahan.kecamatan.name} — {kelurahan.name}"


class KelurahanField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return kelurahan_label(obj)


class KelurahanFilter(django_filters.ModelChoiceFilter):
    class field_class(django_filters.fields.ModelChoiceField):  # noqa: N801 - django-filter hook
        def label_from_instance(self, obj):
            return kelurahan_label(obj)


def count_field(**kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=0, max_value=custody.MAX_COUNT, error_messages=COUNT_MESSAGES,
        widget=forms.NumberInput(attrs={"min": 0, "step": 1, "inputmode": "numeric",
                                        "class": "input count"}), **kwargs)


def _label_filters(filterset):
    for field in filterset.form.fields.values():
        if not isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("aria-label", str(field.label))
    # A lurah's operator has one kecamatan and one kelurahan: no choice, no dropdown.
    for name in ("kecamatan", "kelurahan"):
        field = filterset.form.fields.get(name)
        if field is not None and not filterset.data.get(name) and field.queryset.count() < 2:
            del filterset.form.fields[name]


# --- filters ---------------------------------------------------------------------------------

class ShipmentFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    level = django_filters.ChoiceFilter(field_name="to_level", choices=Level.choices,
                                        label=_("To"), empty_label=_("Every level"))
    status = django_filters.ChoiceFilter(choices=Shipment.Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    is_return = django_filters.BooleanFilter(label=_("Returns"), widget=forms.Select(choices=[
        ("", _("Deliveries and returns")), ("false", _("Deliveries")), ("true", _("Returns"))]))
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"), empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))

    class Meta:
        model = Shipment
        fields = ["search", "level", "status", "is_return", "kecamatan", "kelurahan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_filters(self)
        self.form.fields["search"].widget.attrs.update(
            {"type": "search", "placeholder": _("Seal, vehicle, driver, receiver, place or #")})

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = (Q(seal_numbers__icontains=value) | Q(vehicle__icontains=value)
             | Q(driver__icontains=value) | Q(receiver_name__icontains=value)
             | Q(kelurahan__name__icontains=value) | Q(kecamatan__name__icontains=value))
        digits = value.lstrip("#").removeprefix("TPS").strip().lstrip("0")
        if digits.isdigit():
            q |= Q(pk=int(digits)) | Q(tps__number=int(digits))
        return queryset.filter(q)


class ShortfallFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Shortfall.Kind.choices, label=_("Kind"),
                                       empty_label=_("Every kind"))
    status = django_filters.ChoiceFilter(method="filter_status", label=_("Status"),
                                         empty_label=_("All statuses"), choices=[
                                             ("unresolved", _("Not resolved")),
                                             *Shortfall.Status.choices])
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"), empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))

    class Meta:
        model = Shortfall
        fields = ["kind", "status", "kecamatan", "kelurahan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_filters(self)

    def filter_status(self, queryset, name, value):
        if value == "unresolved":
            return queryset.open()
        return queryset.filter(status=value)


class PlanFilter(django_filters.FilterSet):
    kecamatan = django_filters.ModelChoiceFilter(queryset=kecamatan_choices, to_field_name="code",
                                                 label=_("Kecamatan"), empty_label=_("All kecamatan"))
    kelurahan = KelurahanFilter(queryset=kelurahan_choices, to_field_name="code",
                                label=_("Kelurahan"), empty_label=_("All kelurahan"))
    item = django_filters.ModelChoiceFilter(
        queryset=lambda request: Item.objects.filter(election__is_active=True),
        label=_("Item"), empty_label=_("Every item"))

    class Meta:
        model = PlannedDistribution
        fields = ["kecamatan", "kelurahan", "item"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_filters(self)


# --- a new shipment ----------------------------------------------------------------------------

def route_key(from_level: str, to_level: str, is_return: bool) -> str:
    return f"{from_level}-{to_level}" + ("-r" if is_return else "")


def route_label(from_level: str, to_level: str, is_return: bool) -> str:
    text = f"{Level(from_level).label} → {Level(to_level).label}"
    return str(_("Return: %(route)s") % {"route": text}) if is_return else text


class TpsField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.label}" + (f" — {obj.address}" if obj.address else "")


class ShipmentForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    """A new shipment. The place fields list the user's region; the one that counts follows
    the route (PPK: kecamatan, PPS: kelurahan, TPS: the TPS of the chosen kelurahan).
    One count field per active item: ``count_<item pk>``."""

    route = forms.ChoiceField(label=_("Route"))
    kecamatan = forms.ModelChoiceField(queryset=Kecamatan.objects.all(), required=False,
                                       label=_("Kecamatan (PPK)"), to_field_name="code")
    kelurahan = KelurahanField(queryset=Kelurahan.objects.all(), required=False,
                               label=_("Kelurahan (PPS)"), to_field_name="code")
    tps = TpsField(queryset=Tps.objects.none(), required=False, label=_("TPS"))
    dispatched_at = forms.DateTimeField(label=_("Dispatched at"), widget=DATETIME_WIDGET,
                                        help_text=_("Date and time (WIB)."))
    seal_numbers = forms.CharField(label=_("Seal numbers"), max_length=300, required=False)
    vehicle = forms.CharField(label=_("Vehicle"), max_length=100, required=False,
                              help_text=_("e.g. the plate number"))
    driver = forms.CharField(label=_("Driver"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    PLACE_FIELD = {Level.PPK: "kecamatan", Level.PPS: "kelurahan", Level.TPS: "tps"}

    def __init__(self, *args, user, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.election = user, election
        routes = custody.allowed_routes(user)
        self.routes = {route_key(*r): r for r in routes}
        self.fields["route"].choices = [(k, route_label(*r)) for k, r in self.routes.items()]
        if routes and "route" not in self.initial:
            self.initial["route"] = route_key(*routes[0])
        self.initial.setdefault("dispatched_at", timezone.localtime().replace(second=0,
                                                                                microsecond=0))
        levels = {custody.place_level(*r) for r in routes}
        # Validation accepts any place (the service then names a place outside the region);
        # the dropdowns show only the user's region.
        if Level.PPK in levels:
            mine = list(Kecamatan.objects.editable_by(user).order_by("name"))
            self.fields["kecamatan"].widget.choices = [("", "---------")] + [
                (k.code, k.name) for k in mine]
            if len(mine) == 1:
                self.initial.setdefault("kecamatan", mine[0].code)
        else:
            del self.fields["kecamatan"]
        mine_kel = list(Kelurahan.objects.editable_by(user).select_related("kecamatan")
                        .order_by("kecamatan__name", "name"))
        self.fields["kelurahan"].widget.choices = [("", "---------")] + [
            (k.code, kelurahan_label(k)) for k in mine_kel]
        if len(mine_kel) == 1:
            self.initial.setdefault("kelurahan", mine_kel[0].code)
        self.fields["tps"].queryset = Tps.objects.filter(election=election).select_related(
            "kelurahan")
        chosen = self._chosen("kelurahan")
        self.fields["tps"].widget.choices = [("", "---------")] + [
            (t.pk, f"{t.label}" + (f" — {t.address}" if t.address else ""))
            for t in Tps.objects.editable_by(user).filter(election=election, kelurahan_id=chosen)
            .order_by("number")] if chosen else [("", _("— choose the kelurahan first —"))]
        self.items = list(Item.objects.filter(election=election, is_active=True))
        for item in self.items:
            self.fields[f"count_{item.pk}"] = count_field(
                required=False, label=f"{item.name} ({item.unit})", initial=0)

    def _chosen(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name)) or None
        return self.initial.get(name) or None

    def count_fields(self):
        return [self[f"count_{item.pk}"] for item in self.items]

    def place_fields(self):
        return [self[name] for name in ("kecamatan", "kelurahan", "tps") if name in self.fields]

    def other_fields(self):
        return [self[name] for name in ("dispatched_at", "seal_numbers", "vehicle", "driver", "note")]

    def clean(self):
        data = super().clean()
        route = self.routes.get(data.get("route"))
        if route is None:
            return data
        level = custody.place_level(*route)
        name = self.PLACE_FIELD.get(level)
        data["place"] = data.get(name) if name else None
        if name and name in self.fields and data["place"] is None and name not in self.errors:
            self.add_error(name, _("Choose the destination of this shipment.") if not route[2]
                           else _("Choose where the return comes from."))
        tps, kelurahan = data.get("tps"), data.get("kelurahan")
        if level == Level.TPS and tps and kelurahan and tps.kelurahan_id != kelurahan.pk:
            self.add_error("tps", _("This TPS is not in the chosen kelurahan."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        from_level, to_level, is_return = self.routes[data["route"]]
        return {
            "election": self.election, "from_level": from_level, "to_level": to_level,
            "place": data["place"], "is_return": is_return,
            "lines": {item.pk: data.get(f"count_{item.pk}") for item in self.items},
            "seal_numbers": data["seal_numbers"], "vehicle": data["vehicle"],
            "driver": data["driver"], "dispatched_at": data["dispatched_at"], "note": data["note"],
        }

    def add_service_errors(self, exc) -> None:
        route = self.routes.get(self.cleaned_data.get("route"))
        place_field = self.PLACE_FIELD.get(custody.place_level(*route)) if route else None
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                target = place_field if key == "place" else key
                target = target if target in self.fields else None
                for message in errors:
                    self.add_error(target, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)


# --- receipts -----------------------------------------------------------------------------------

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
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, shipment, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipment, self.lines = shipment, lines
        self.initial.setdefault("version", shipment.version)
        self.initial.setdefault("received_at", timezone.localtime().replace(second=0,
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
        self.initial.setdefault("received_at", timezone.localtime().replace(second=0,
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

    def add_batch_errors(self, exc: custody.BatchError) -> None:
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


# --- shortfall cases --------------------------------------------------------------------------

class ShortfallUpdateForm(ServiceFormMixin, StyledFormMixin, forms.Form):
    status = forms.ChoiceField(choices=Shortfall.Status.choices, label=_("Status"))
    resolution = forms.CharField(label=_("Resolution"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Required to resolve the case: what was done."))
    owner = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False,
                                   label=_("Owner"), empty_label=_("— no owner —"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, case, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("status", case.status)
        self.initial.setdefault("resolution", case.resolution)
        self.initial.setdefault("owner", case.owner_id)
        self.initial.setdefault("version", case.version)
        if not getattr(user, "is_desk_admin", False):
            del self.fields["owner"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"status": data["status"], "resolution": data["resolution"],
                  "expected_version": data["version"]}
        if "owner" in self.fields:
            kwargs["owner"] = data["owner"]
        return kwargs
