"""``core.prepared``: a queryset compiled once and run again with other values gives the
same rows and related objects as the ORM, keeps each user's scope (the field API's TPS
lookup: a lurah's own TPS only, 404 material elsewhere), and refuses an ambiguous build."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from posko.accounts import tokens
from posko.accounts.models import Role, User
from posko.core.prepared import Prepared, bound_cursor
from posko.elections.models import Tps
from posko.voting.access import _TPS, visible_tps
from posko.voting.models import TpsDay

pytestmark = pytest.mark.django_db

FIELDS = [f.attname for f in Tps._meta.concrete_fields]


def test_run_gives_what_the_orm_gives_with_the_related_day_or_none(world, users):
    TpsDay.for_tps(world.tps_a, state="dibuka").save()
    admin = users["admin"]
    for tps in (world.tps_a, world.tps_b):
        mine = visible_tps(admin, world.election.pk, tps.pk)
        orm = Tps.objects.select_related("day").get(pk=tps.pk)
        assert [getattr(mine, f) for f in FIELDS] == [getattr(orm, f) for f in FIELDS]
        assert mine._state.adding is False and mine._state.db == "default"
        day = mine._state.fields_cache["day"]  # read with it, as select_related does
        assert (day.state if day else None) == ("dibuka" if tps == world.tps_a else None)


def test_each_user_sees_only_the_tps_of_their_scope(world, users):
    election = world.election.pk
    seen = {name: {t.pk for t in (world.tps_a, world.tps_a2, world.tps_b, world.tps_outside)
                   if visible_tps(user, election, t.pk)}
            for name, user in users.items() if user is not None}
    assert seen["kelurahan_a"] == {world.tps_a.pk}
    assert seen["kelurahan_b"] == {world.tps_b.pk}
    assert seen["kecamatan_a"] == {world.tps_a.pk, world.tps_a2.pk}
    assert seen["admin"] == {world.tps_a.pk, world.tps_a2.pk, world.tps_b.pk}  # not Batu's
    assert visible_tps(users["admin"], election + 1, world.tps_a.pk) is None  # other election
    assert visible_tps(users["admin"], election, 2 ** 63) is None  # no overflow, no query
    users["kelurahan_a"].is_active = False
    assert visible_tps(users["kelurahan_a"], election, world.tps_a.pk) is None


def test_a_shape_is_compiled_once_and_run_as_one_statement(world, users):
    _TPS._compiled.clear()
    lurah = users["kelurahan_a"]
    visible_tps(lurah, world.election.pk, world.tps_a.pk)
    with CaptureQueriesContext(connection) as captured:
        assert visible_tps(lurah, world.election.pk, world.tps_a.pk).pk == world.tps_a.pk
        assert visible_tps(lurah, world.election.pk, world.tps_a2.pk) is None
    assert len(captured.captured_queries) == 2
    assert world.kel_a.code in captured.captured_queries[0]["sql"]  # the scope, with its value
    assert len(_TPS._compiled) == 1
    visible_tps(users["kecamatan_a"], world.election.pk, world.tps_a.pk)
    assert len(_TPS._compiled) == 2  # another kind of scope: its own SQL


def test_a_region_bound_user_without_a_place_sees_nothing_without_a_query(world, users):
    lost = User.objects.create_user(username="lurah_tanpa_kelurahan", password="x",
                                    role=Role.KELURAHAN)  # a misconfigured operator
    visible_tps(users["admin"], world.election.pk, world.tps_a.pk)  # the Pemda read once
    with CaptureQueriesContext(connection) as captured:
        assert visible_tps(lost, world.election.pk, world.tps_a.pk) is None
    assert captured.captured_queries == []


def test_a_value_that_appears_twice_is_refused():
    twice = Prepared(lambda code: Tps.objects.filter(kelurahan_id=code, kecamatan_id=code),
                     (str,))
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.run("35.73.01.1001")


def test_the_token_lookup_finds_the_token_with_its_user(users):
    token, key = tokens.create(users["kelurahan_a"], name="HP")
    found = tokens._BY_PREFIX.run(tokens._key_prefix(key))
    assert [row.pk for row in found] == [token.pk]
    assert found[0].user == users["kelurahan_a"] and found[0].user.kelurahan_id
    assert tokens._BY_PREFIX.run("tidak-ada") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_bound_cursor_prepares_its_statement_once_and_keeps_the_values_apart(world, users):
    sql = ('SELECT "number", %s::text FROM "elections_tps" WHERE "kelurahan_id" = %s '
           'AND "id" = %s')
    prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s"
    with bound_cursor() as cursor:
        for tps in (world.tps_a, world.tps_a2):
            # A value that would break a statement written with it: sent apart, kept as is.
            cursor.execute(sql, ["O'Brien; --", tps.kelurahan_id, tps.pk])
            assert cursor.fetchall() == [(tps.number, "O'Brien; --")]
        cursor.execute(prepared, ['%"elections_tps" WHERE "kelurahan_id" = $2%'])
        assert cursor.fetchone() == (1,)  # once for both runs
        visible_tps(users["kelurahan_a"], world.election.pk, world.tps_a.pk)
        cursor.execute(prepared, ['%FROM "elections_tps" LEFT OUTER JOIN "voting_tpsday"%'])
        assert cursor.fetchone() == (1,)  # the field API's TPS lookup: prepared too


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_bound_cursor_writes_strings_and_nulls_as_the_columns_expect(world):
    """``INSERT … SELECT %s`` (the one-statement write): strings, NULLs, and an over-long
    string refused by its column as Django's own INSERT would refuse it; the logged SQL
    shows the values."""
    from django.db import DataError

    table = '"elections_tps"'
    with CaptureQueriesContext(connection) as captured, bound_cursor() as cursor:
        cursor.execute(f'INSERT INTO {table} ("election_id", "kelurahan_id", "kecamatan_id", '
                       f'"kabkota_id", "number", "address", "rt", "rw", "latitude", "longitude", '
                       f'"dpt_men", "dpt_women", "special_location", '
                       f'"special_location_note", "accessible", "notes", "created_at", '
                       f'"updated_at") SELECT "election_id", "kelurahan_id", "kecamatan_id", '
                       f'"kabkota_id", 99, %s, %s, %s, %s, %s, 1, 1, %s, %s, true, %s, '
                       f'now(), now() FROM {table} WHERE "id" = %s RETURNING "notes", "latitude"',
                       ["Jl. Baru", "001", "002", None, None, "", "", "catatan",
                        world.tps_a.pk])
        assert cursor.fetchall() == [("catatan", None)]
    assert Tps.objects.get(number=99).address == "Jl. Baru"
    assert "'catatan'" in captured.captured_queries[0]["sql"]
    with pytest.raises(DataError), transaction.atomic(), bound_cursor() as cursor:
        cursor.execute(f'UPDATE {table} SET "rt" = x.r FROM (SELECT %s AS r) x WHERE "id" = %s',
                       ["1" * 500, world.tps_a.pk])
    world.tps_a.refresh_from_db()
    assert world.tps_a.rt != "1" * 500


def test_a_bound_cursor_elsewhere_is_django_s_own(world):
    with bound_cursor() as cursor:
        cursor.execute('SELECT "number" FROM "elections_tps" WHERE "id" = %s', [world.tps_a.pk])
        assert cursor.fetchone() == (world.tps_a.number,)
