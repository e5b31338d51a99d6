"""Per-request context (request id, client address) that the audit log reads."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("posko_request_id", default="")
client_ip_var: ContextVar[str | None] = ContextVar("posko_client_ip", default=None)
