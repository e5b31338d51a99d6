"""API error bodies in the user's language (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

DRF translates its own messages, but its Indonesian catalogue covers about half of them,
and three reach the client in English whatever the language: Django's 404 of
``get_object_or_404`` ("No Tps matches the given query.", which also names the model),
the CSRF refusal and the JSON parse error. The handler replaces those three; the
messages below are DRF's own msgids, listed so that ``makemessages`` puts them into
Posko's catalogue, which takes precedence over DRF's (LOCALE_PATHS).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from posko.core.api import as_drf_error
from posko.core.services import ConflictError

# Django's default 404 text (shortcuts.get_object_or_404), in English and with the model.
_DEFAULT_404 = re.compile(r"^No .+ matches the given query\.$")

# DRF's messages that an API client can meet, translated in Posko's catalogue.
DRF_MESSAGES = (
    gettext_noop("Not found."),
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Object with {slug_name}={value} does not exist."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Invalid token."),
    gettext_noop("Invalid token header. No credentials provided."),
    gettext_noop("Invalid token header. Token string should not contain spaces."),
    gettext_noop("Invalid token header. Token string should not contain invalid characters."),
    gettext_noop("User inactive or deleted."),
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    gettext_noop("Invalid page."),
    gettext_noop("Malformed request."),
    gettext_noop("Invalid input."),
    gettext_noop("Invalid value."),
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("String value too large."),
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("This list may not be empty."),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("This field may not be blank."),
    gettext_noop("This field may not be null."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Expected a date but got a datetime."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Time has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("No filename could be determined."),
    gettext_noop("This field must be unique."),
    gettext_noop("The fields {field_names} must make a unique set."),
    gettext_noop("This value does not match the required pattern."),
    gettext_noop("Must be a valid UUID."),
)

CSRF_FAILED = _("The security check (CSRF) failed: reload the page and try again.")
JSON_INVALID = _("The request body is not valid JSON.")
MULTIPART_INVALID = _("The multipart form could not be read.")


def _replacement(exc):
    """The translated exception for one that would reach the client in English."""
    if isinstance(exc, Http404):
        message = str(exc.args[0]) if exc.args else ""
        if not message or _DEFAULT_404.match(message):
            return exceptions.NotFound()  # "Data tidak ditemukan.", without the model name
        return None  # a translated message of Posko's own
    detail = str(getattr(exc, "detail", ""))
    if isinstance(exc, exceptions.PermissionDenied) and detail.startswith("CSRF Failed"):
        return exceptions.PermissionDenied(CSRF_FAILED)
    if isinstance(exc, exceptions.ParseError):
        if detail.startswith("JSON parse error"):
            return exceptions.ParseError(JSON_INVALID)
        if detail.startswith("Multipart form parse error"):
            return exceptions.ParseError(MULTIPART_INVALID)
    return None


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone else saved this in the meantime.")
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, with the English-only messages replaced by translated ones, and the
    services' ValidationError/ConflictError turned into 400/409: viewsets call services and
    catch nothing."""
    if isinstance(exc, ConflictError):
        response = drf_exception_handler(Conflict(" ".join(exc.messages)), context)
        if exc.current_version is not None:
            response.data["current_version"] = exc.current_version
        return response
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    return drf_exception_handler(_replacement(exc) or exc, context)
