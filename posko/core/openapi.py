"""The OpenAPI schema's own rules (SPECTACULAR_SETTINGS, REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

- A text field that may be left blank and has a format (e-mail, URL) returns ``""`` when
  blank: its schema says so (``anyOf`` the format or the empty string), or a client that
  validates responses refuses every agency without an e-mail.
- Every operation documents the error answers it can give, with their bodies: 400 (a field
  or parameter refused: ``{"field": ["message"]}``, ``{"non_field_errors": [...]}`` or
  ``{"detail": "..."}``), 401 and 403 (no or a bad token; not allowed), 404 (an object the
  caller cannot see, a region or election filter naming none, or a page past the end), 409 (saved by someone else meanwhile),
  415 (a body in another format). Responses an operation declares itself are kept.
  The fuzzing test (tests/test_api_fuzz.py) checks every answer against these.
"""

from __future__ import annotations

from drf_spectacular import openapi

ERROR = {
    "type": "object",
    "description": "An error with its message in the user's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "description": "The refused fields and parameters, each with its messages "
                   "(`non_field_errors` for the request as a whole; `detail` for a body "
                   "that could not be read).",
    "oneOf": [
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {"type": "string"}},
    ],
}
CONFLICT = {
    "type": "object",
    "description": "Someone else saved the object meanwhile: reload it and try again.",
    "properties": {"detail": {"type": "string"}, "current_version": {"type": "integer"}},
    "required": ["detail"],
}
ERRORS = {
    "400": ("The request was refused: see the messages.", "ValidationError"),
    "401": ("No valid API token (or session).", "Error"),
    "403": ("The caller may not do this.", "Error"),
    "404": ("Not found, or not in the caller's region; or a page past the last.", "Error"),
    "409": ("Saved by someone else in the meantime.", "Conflict"),
    "415": ("The body is not in a format the operation reads.", "Error"),
}
# Constraints the empty string of a blank-allowed text field does not meet.
BLANK_REFUSING = ("format", "pattern", "minLength")
WRITE_METHODS = {"post", "put", "patch", "delete"}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, plus: a view with ``list_is_one_object = True`` answers its list
    with one object (an envelope with totals and ``results``), not an array; a serializer's
    ``optional_output_fields`` are left out of a response unless revealed (health data), so
    they are not required."""

    def _is_list_view(self, serializer=None):
        if getattr(self.view, "list_is_one_object", False):
            return False
        return super()._is_list_view(serializer)

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        optional = set(getattr(serializer, "optional_output_fields", ()))
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False):
            # "" is what a blank e-mail, URL or patterned field holds; no format accepts it.
            rules = {key: schema.pop(key) for key in BLANK_REFUSING if key in schema}
            if rules:
                schema["anyOf"] = [rules, {"maxLength": 0}]


def _codes(path: str, method: str, operation: dict) -> list[str]:
    parameters = operation.get("parameters", [])
    codes = ["401", "403"]
    codes.append("404")  # an object, region or election not visible; a page past the last
    if method in WRITE_METHODS:
        codes += ["400", "409"]
    elif any(p.get("in") == "query" for p in parameters):
        codes.append("400")
    if operation.get("requestBody"):
        codes.append("415")
    return sorted(codes)


def document_errors(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the error responses of every operation (see the module's doc)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    schemas.setdefault("Conflict", CONFLICT)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in _codes(path, method, operation):
                description, name = ERRORS[code]
                responses.setdefault(code, {
                    "description": description,
                    "content": {"application/json": {
                        "schema": {"$ref": f"#/components/schemas/{name}"}}},
                })
    return result
