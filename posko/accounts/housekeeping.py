"""Periodic housekeeping of accounts: expired API tokens are deleted (they are refused
anyway; deleting them keeps the table small and leaves no stale digests behind)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from posko.accounts import tokens

PURGE_TOKENS = "accounts.purge_tokens"


def purge_tokens_job(ctx) -> str:
    count = tokens.purge_expired()
    ctx.job.result = {"deleted": count}
    return _("%(count)s expired API tokens deleted.") % {"count": count}
