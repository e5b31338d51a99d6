"""Filter pieces shared by the HTML lists and the API.

``IntegerFilter`` replaces django-filter's ``NumberFilter`` for ids and counts. The
latter parses a decimal: ``?tps=1e999999`` is a valid decimal whose conversion to an
integer takes the process minutes (a one-request denial of service), and ``?tps=-7.3e206``
was a 500 on SQLite. ``IntegerFilter`` accepts whole numbers inside the 64-bit range
only; anything else is a form error ("Masukkan bilangan bulat.", a 400 in the API).
"""

from __future__ import annotations

import django_filters
from django import forms

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class BoundedIntegerField(forms.IntegerField):
    """A whole number a database column can hold (64 bits)."""

    def __init__(self, *, min_value=INT64_MIN, max_value=INT64_MAX, **kwargs):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)


class IntegerFilter(django_filters.NumberFilter):
    """An id or a count in a filter: a whole number in the 64-bit range, else a form error."""

    field_class = BoundedIntegerField


class LabelledFilterSet(django_filters.FilterSet):
    """A list's filters as the pages show them: every field carries an ``aria-label`` (the
    filter bar has no visible labels), the ``search`` field is a search box with
    ``search_placeholder``, and with ``hide_single_place`` a kecamatan/kelurahan choice that
    offers one place or none (a lurah's operator) is left out."""

    search_placeholder = None
    hide_single_place = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("aria-label", str(field.label))
        search = self.form.fields.get("search")
        if search is not None:
            search.widget.input_type = "search"
            if self.search_placeholder:
                search.widget.attrs["placeholder"] = str(self.search_placeholder)
        if self.hide_single_place:
            for name in ("kecamatan", "kelurahan"):
                field = self.form.fields.get(name)
                if field is not None and not self.data.get(name) and field.queryset.count() < 2:
                    del self.form.fields[name]
