"""``core.bulk.update_rows``: many rows set in one statement (PostgreSQL), each value as
its column takes it — a NULL, a decimal, JSON — and a value too long for its column is
refused with nothing changed, never cut to fit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction

from posko.core.bulk import update_rows
from posko.elections.models import Tps
from posko.voting.models import Reconciliation
from tests.voting_fixtures import make_contests

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="update_rows is PostgreSQL's")]


def test_many_rows_are_set_in_one_statement_each_with_its_own_values(world):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        update_rows(Tps, ["rt", "latitude", "notes"],
                    [(world.tps_a.pk, "001", Decimal("-7.966620"), "Dekat pasar"),
                     (world.tps_b.pk, "", None, "")])
    assert len(captured.captured_queries) == 1
    a, b = (Tps.objects.get(pk=t.pk) for t in (world.tps_a, world.tps_b))
    assert (a.rt, a.latitude, a.notes) == ("001", Decimal("-7.966620"), "Dekat pasar")
    assert (b.rt, b.latitude, b.notes) == ("", None, "")
    assert Tps.objects.get(pk=world.tps_a2.pk).rt == world.tps_a2.rt  # not in the rows


def test_json_is_stored_as_json(world):
    rec = Reconciliation.for_tps(world.tps_a, contest=make_contests(world, "walikota")[0])
    rec.save()
    update_rows(Reconciliation, ["differences"], [(rec.pk, [{"field": "valid", "a": 1}])])
    assert Reconciliation.objects.get(pk=rec.pk).differences == [{"field": "valid", "a": 1}]


def test_a_value_too_long_for_its_column_is_refused_not_cut(world):
    before = Tps.objects.get(pk=world.tps_a.pk).rt
    with pytest.raises(DataError), transaction.atomic():
        update_rows(Tps, ["rt"], [(world.tps_a.pk, "0012345")])  # RT: three characters
    assert Tps.objects.get(pk=world.tps_a.pk).rt == before
