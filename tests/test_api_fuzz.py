"""Schemathesis fuzzing of the REST API (issue 16): every operation of Posko's own OpenAPI
schema, called in-process through the WSGI application with an API token, as the admin and
a kelurahan operator of the URL sweep's world (8 examples per operation), and as a camat, an
agency user and a pemantau (3 examples each: their scopes and read-only roles differ, the
schema's cases are the same).

For each operation a few derandomized Hypothesis examples (same cases on every run) are
generated from the schema; where the path names an object (``{id}``, ``{code}``, ``{tps}``),
most of them use one of the first objects the persona sees in the operation's list, so
detail, update and action endpoints are reached, not only their 404. Each response must:

- not be a server error (5xx);
- have a status code the schema documents, a documented content type, and a body that
  validates against the documented schema of that status.

Each example runs in a savepoint that is rolled back, so no example sees another's rows.
All failures of a persona are collected and reported together (operation, the failing
check's message, the server's exception if any).
"""

from __future__ import annotations

import contextlib
import logging
import os
import traceback

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks
from werkzeug.test import Client

from posko.accounts import tokens as api_tokens
from tests import sweep_world

# Examples per operation and persona: ~100 operations x 2 personas, about a minute each on a
# busy CI machine; the other roles get fewer. POSKO_FUZZ_EXAMPLES=100 (and
# POSKO_FUZZ_EXAMPLES_MORE) dig deeper locally (same cases every run).
MAX_EXAMPLES = int(os.environ.get("POSKO_FUZZ_EXAMPLES", "8"))
MORE_EXAMPLES = int(os.environ.get("POSKO_FUZZ_EXAMPLES_MORE", "3"))
@schemathesis.serializer("application/offset+octet-stream")
def _chunk_bytes(ctx, value) -> bytes:
    """A resumable upload's chunk (``PATCH /api/v1/uploads/{id}/``) is raw bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


PERSONAS = {"admin": MAX_EXAMPLES, "kelurahan_a": MAX_EXAMPLES, "kecamatan_a": MORE_EXAMPLES,
            "agency": MORE_EXAMPLES, "pemantau": MORE_EXAMPLES}
API = "/api/v1/"
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]
FUZZ_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)
# The path parameters that name an object, and the list field holding it.
OBJECT_PARAMETERS = ("id", "code", "tps")


@contextlib.contextmanager
def django_like_test_client():
    """Requests through the raw WSGI handler inside the test's transaction: as Django's test
    client does, the connection is not closed at the end of each request (which would end
    the test's transaction), and the server's exceptions are recorded."""
    errors = []

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record)
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # a 500 is reported by the test, not logged
    try:
        yield errors
    finally:
        logger.setLevel(level)
        got_request_exception.disconnect(record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def known_objects(operation, call) -> list:
    """The values of the operation's object parameter that its list shows the persona."""
    path = operation.path
    for name in OBJECT_PARAMETERS:
        marker = "{" + name + "}"
        if marker in path:
            break
    else:
        return []
    response = call(path.split(marker)[0])
    if response.status_code != 200:
        return []
    body = response.json
    rows = body.get("results", []) if isinstance(body, dict) else body
    key = name if rows and name in rows[0] else "id"
    return [(name, row[key]) for row in rows[:3] if isinstance(row, dict) and key in row]


def fuzz_operation(operation, headers, objects, errors, examples) -> str | None:
    """Run the operation's examples; the first failure's report, or None."""
    strategy = operation.as_strategy()
    if objects:
        strategy = st.one_of(strategy, *[
            operation.as_strategy(path_parameters={name: value}) for name, value in objects])

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @given(case=strategy)
    def run(case):
        errors.clear()
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every failure is reported
        server = f"\n  server: {errors[-1].strip().splitlines()[-1]}" if errors else ""
        return f"{operation.label}: {str(exc).strip()[:1500]}{server}"
    return None


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_operation_as(persona, world, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    sweep_world.build(world, users)
    key = api_tokens.create(users[persona], name="fuzz")[1]
    headers = {"Authorization": f"Token {key}"}
    app = WSGIHandler()
    with django_like_test_client() as errors:
        schema = schemathesis.openapi.from_wsgi(f"{API}schema/?format=json", app,
                                                headers=headers)
        wsgi = Client(app)

        def list_call(path):
            return wsgi.get(path, headers=headers)

        failures, count = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            count += 1
            objects = known_objects(operation, list_call)
            failure = fuzz_operation(operation, headers, objects, errors, PERSONAS[persona])
            if failure:
                failures.append(failure)
    assert count > 50  # the whole API, not an empty schema
    assert not failures, f"{len(failures)} of {count} operations failed:\n\n" + "\n\n".join(
        failures)


# The mismatches the fuzzing found, each checked on the schema itself (fast, no requests).

@pytest.fixture(scope="module")
def openapi():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def response_schema(openapi, path, method="get", code="200"):
    return openapi["paths"][API + path][method]["responses"][code]["content"][
        "application/json"]["schema"]


@pytest.mark.parametrize("path", ["outreach/coverage/", "outreach/targets/",
                                  "outreach/turnout/kelurahan/", "vulnerability/rollup/"])
def test_an_envelope_answer_is_documented_as_one_object_not_an_array(openapi, path):
    schema = response_schema(openapi, path)
    assert "$ref" in schema, schema  # one object (election, totals, results), not "type: array"
    name = schema["$ref"].rsplit("/", 1)[1]
    assert openapi["components"]["schemas"][name]["type"] == "object"


def test_every_operation_documents_its_error_answers(openapi):
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404"} <= codes, (method, path, codes)
            if method in {"post", "put", "patch", "delete"}:
                assert {"400", "409"} <= codes, (method, path, codes)
    assert openapi["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_a_blank_email_is_a_valid_answer(openapi):
    email = openapi["components"]["schemas"]["Agency"]["properties"]["email"]
    assert "format" not in email
    assert email["anyOf"] == [{"format": "email"}, {"maxLength": 0}]


def test_health_measurements_are_not_required_in_a_screening(openapi):
    required = openapi["components"]["schemas"]["Screening"]["required"]
    assert "systolic" not in required and "diastolic" not in required
    assert "result" in required


def test_a_refused_outreach_write_answers_a_json_error(world, users, personas):
    """Found by fuzzing as an agency user and a pemantau: the outreach API answered a refused
    write with an empty 403 (no content type, not the documented Error object)."""
    from tests.outreach_fixtures import add_activity

    activity = add_activity(world, users["kelurahan_a"])
    refused = [
        personas["pemantau"].client.post(f"{API}outreach/activities/", {"title": "x"},
                                         content_type="application/json"),
        personas["agency"].client.patch(f"{API}outreach/activities/{activity.pk}/",
                                        {"title": "x"}, content_type="application/json"),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json" and "detail" in response.json()
