"""Integer lookups that cannot crash on an out-of-range number.

SQLite refuses a Python int outside 64 bits with ``OverflowError`` (a 500), wherever the
number came from: ``?tps=99999999999999999999`` in a filter, an id list in a payload, a
view's own ``.filter(tps_id=...)``. Django (5.0+) already answers ``exact``/``gt``/``lt`` on
integer columns with an empty result for such numbers; these lookups do the same for
``in`` on integer columns and for ``exact`` and ``in`` through a foreign key, which Django
leaves unchecked. No row can have such a key, so the answer is simply empty, on every
database. Registered in ``CoreConfig.ready()``.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import ForeignKey, IntegerField
from django.db.models.expressions import ColPairs
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def integer_range(field, connection) -> tuple[int | None, int | None]:
    """The range of the column behind ``field`` (a foreign key: the key it points at);
    (None, None) for a column that is not an integer."""
    while getattr(field, "is_relation", False) and getattr(field, "target_field", None) is not None:
        field = field.target_field
    try:
        return connection.ops.integer_field_range(field.get_internal_type())
    except (KeyError, AttributeError):
        return None, None


def out_of_range(value, bounds) -> bool:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return (low is not None and value < low) or (high is not None and value > high)


class _InRange:
    """Drops the direct values no row can have; an empty list is an empty result."""

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value() and not isinstance(self.lhs, ColPairs):
            bounds = integer_range(self.lhs.output_field, connection)
            if bounds != (None, None):
                self.rhs = [value for value in self.rhs if not out_of_range(value, bounds)]
        return super().process_rhs(compiler, connection)


class RangeCheckedIn(_InRange, In):
    pass


class RangeCheckedRelatedIn(_InRange, RelatedIn):
    pass


class RangeCheckedRelatedExact(RelatedExact):
    def process_rhs(self, compiler, connection):
        if (self.rhs_is_direct_value() and not isinstance(self.lhs, ColPairs)
                and out_of_range(self.rhs, integer_range(self.lhs.output_field, connection))):
            raise EmptyResultSet
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(RangeCheckedIn)
    ForeignKey.register_lookup(RangeCheckedRelatedIn)
    ForeignKey.register_lookup(RangeCheckedRelatedExact)
