"""The form of a new shipment. Dropdowns list only what the user may choose; the services
check everything again and give the clear messages (e.g. a destination outside the
sender's region)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Tps
from posko.logistics.access import allowed_routes, place_level
from posko.logistics.forms.fields import (
    DATETIME_WIDGET,
    KelurahanField,
    count_field,
    kelurahan_label,
    scan_widget,
)
from posko.logistics.models import Item, Shipment
from posko.regions.models import Kecamatan, Kelurahan

Level = Shipment.Level


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
    seal_numbers = forms.CharField(label=_("Seal numbers"), max_length=300, required=False,
                                   widget=scan_widget(multiple=True, rows=0),
                                   help_text=_("Type them or scan them with the camera."))
    box_codes = forms.CharField(
        label=_("Box labels"), required=False, widget=scan_widget(multiple=True, rows=3),
        help_text=_("Scan the QR label of every box loaded (one per line); optional."))
    vehicle = forms.CharField(label=_("Vehicle"), max_length=100, required=False,
                              help_text=_("e.g. the plate number"))
    driver = forms.CharField(label=_("Driver"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    PLACE_FIELD = {Level.PPK: "kecamatan", Level.PPS: "kelurahan", Level.TPS: "tps"}

    def __init__(self, *args, user, election, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.election = user, election
        self.instance = instance if instance is not None else Shipment(election=election)
        routes = allowed_routes(user)
        self.routes = {route_key(*r): r for r in routes}
        self.fields["route"].choices = [(k, route_label(*r)) for k, r in self.routes.items()]
        if routes and "route" not in self.initial:
            self.initial["route"] = route_key(*routes[0])
        self.initial.setdefault("dispatched_at", timezone.localtime(clock.now()).replace(second=0,
                                                                                microsecond=0))
        levels = {place_level(*r) for r in routes}
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
        return [self[name] for name in ("dispatched_at", "seal_numbers", "box_codes", "vehicle",
                                        "driver", "note")]

    def clean(self):
        data = super().clean()
        route = self.routes.get(data.get("route"))
        if route is None:
            return data
        level = place_level(*route)
        name = self.PLACE_FIELD.get(level)
        data["place"] = data.get(name) if name else None
        if name and name in self.fields and data["place"] is None and name not in self.errors:
            self.add_error(name, _("Choose the destination of this shipment.") if not route[2]
                           else _("Choose where the return comes from."))
        tps, kelurahan = data.get("tps"), data.get("kelurahan")
        if level == Level.TPS and tps and kelurahan and tps.kelurahan_id != kelurahan.pk:
            self.add_error("tps", _("This TPS is not in the chosen kelurahan."))
        return data

    def save(self, commit=False) -> Shipment:
        """The unsaved shipment (``create_shipment`` records it from ``service_kwargs``)."""
        return self.instance

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        from_level, to_level, is_return = self.routes[data["route"]]
        return {
            "election": self.election, "from_level": from_level, "to_level": to_level,
            "place": data["place"], "is_return": is_return,
            "lines": {item.pk: data.get(f"count_{item.pk}") for item in self.items},
            "seal_numbers": data["seal_numbers"], "vehicle": data["vehicle"],
            "driver": data["driver"], "dispatched_at": data["dispatched_at"], "note": data["note"],
            "box_codes": data["box_codes"],
        }

    def add_service_errors(self, exc) -> None:
        route = self.routes.get(self.cleaned_data.get("route"))
        place_field = self.PLACE_FIELD.get(place_level(*route)) if route else None
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                target = place_field if key == "place" else key
                target = target if target in self.fields else None
                for message in errors:
                    self.add_error(target, message)
        else:
            for message in exc.messages:
                self.add_error(None, message)
