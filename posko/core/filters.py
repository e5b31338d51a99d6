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
