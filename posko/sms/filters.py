"""The SMS log's filters: search (text, message id, the sender's last digits), status, type,
kecamatan and kelurahan (scoped choices)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from posko.core.filters import LabelledFilterSet
from posko.regions.filters import PlaceFilters
from posko.sms.models import Kind, SmsMessage, Status
from posko.sms.phones import canonical


class SmsFilter(PlaceFilters, LabelledFilterSet):
    search_placeholder = _("Text, message id or the number's last digits")
    hide_single_place = True

    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"),
                                         empty_label=_("All statuses"))
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Type"),
                                       empty_label=_("All types"))

    class Meta:
        model = SmsMessage
        fields = ["search", "status", "kind", "kecamatan", "kelurahan"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q(text__icontains=value) | Q(message_id=value)
        digits = canonical(value)
        if len(digits) >= 3 and value.replace(" ", "").lstrip("+").isdigit():
            q |= Q(sender__endswith=digits[-4:])
        return queryset.filter(q)
