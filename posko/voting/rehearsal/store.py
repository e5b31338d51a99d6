"""The database side of a rehearsal: devices' tokens, reset, and what was stored."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from posko.accounts import tokens as api_tokens
from posko.accounts.models import ApiToken, Role, User
from posko.core.models import IdempotencyKey
from posko.voting import rollup
from posko.voting.models import (
    AreaFlag,
    Reconciliation,
    ResultPhoto,
    ResultSubmission,
    Source,
    StatusEvent,
    TallyCounter,
    TpsDay,
    TpsResult,
)
from posko.voting.rehearsal.plan import USER_PREFIX


def existing(election) -> dict[str, int]:
    return {"TPS days": TpsDay.objects.filter(election=election).count(),
            "C.Hasil entries": TpsResult.objects.filter(election=election).count()}


@transaction.atomic
def reset(election) -> dict[str, int]:
    """Delete the election's voting day: reports, the C.Hasil inbox, results, photos,
    reconciliations, running tallies, area flags (the quick-count design and sample stay). Audit rows stay."""
    counts = {
        "inbox": ResultSubmission.objects.filter(election=election).delete()[0],
        "reconciliations": Reconciliation.objects.filter(election=election).delete()[0],
        "photos": ResultPhoto.objects.filter(election=election).delete()[0],
        "results": TpsResult.objects.filter(election=election).delete()[0],
        "reports": StatusEvent.objects.filter(day__election=election).delete()[0],
        "days": TpsDay.objects.filter(election=election).delete()[0],
    }
    TallyCounter.objects.filter(election=election).delete()
    AreaFlag.objects.filter(election=election).delete()
    rollup.rebuild(election)
    return counts


def device_tokens(kelurahan_ids) -> dict[str, str]:
    """A rehearsal user per kelurahan (created once, re-activated) with a new token. The
    keys of earlier runs are deleted: the same seed draws the same keys again."""
    IdempotencyKey.objects.filter(user__username__startswith=USER_PREFIX).delete()
    tokens = {}
    for kelurahan_id in sorted(set(kelurahan_ids)):
        user, created = User.objects.get_or_create(
            username=f"{USER_PREFIX}{kelurahan_id}",
            defaults={"role": Role.KELURAHAN, "kelurahan_id": kelurahan_id,
                      "first_name": "Gladi", "last_name": kelurahan_id})
        if created:
            user.set_unusable_password()
        user.is_active, user.role, user.kelurahan_id = True, Role.KELURAHAN, kelurahan_id
        user.save()
        ApiToken.objects.filter(user=user).delete()
        tokens[kelurahan_id] = api_tokens.create(user, name="posko rehearse", days=1)[1]
    return tokens


def retire_devices() -> int:
    """End of a run: the rehearsal users' tokens deleted, the users deactivated."""
    users = User.objects.filter(username__startswith=USER_PREFIX)
    ApiToken.objects.filter(user__in=users).delete()
    return users.update(is_active=False)


# --- the plan -------------------------------------------------------------------------------


def stored(election, since) -> dict[str, int]:
    """What the database holds from the rehearsal users since ``since``."""
    results = TpsResult.objects.filter(election=election, entered_at__gte=since,
                                       entered_by__username__startswith=USER_PREFIX)
    return {
        "reports": StatusEvent.objects.filter(
            day__election=election, recorded_at__gte=since,
            recorded_by__username__startswith=USER_PREFIX).count(),
        "results pemda": results.filter(source=Source.PEMDA, version=1).count(),
        "corrections": results.filter(source=Source.PEMDA, version__gt=1).count(),
        "results saksi": results.filter(source=Source.SAKSI).count(),
        "idempotency keys": IdempotencyKey.objects.filter(
            created_at__gte=since, user__username__startswith=USER_PREFIX).count(),
    }


def waiting(election) -> int:
    """C.Hasil still in the inbox (acknowledged with 202, not yet processed by the job)."""
    return ResultSubmission.objects.filter(election=election, processed_at__isnull=True).count()


def expected(sent: Counter) -> dict[str, int]:
    reports = sum(v for k, v in sent.items() if k not in ("pemda", "saksi", "correction"))
    return {"reports": reports, "results pemda": sent["pemda"],
            "corrections": sent["correction"], "results saksi": sent["saksi"],
            "idempotency keys": sum(sent.values())}


def misreads_left(election, since) -> int:
    """Current Pemda entries of the rehearsal still carrying a misread (a corrected one is
    a later version)."""
    count = 0
    for result in TpsResult.objects.filter(
            election=election, entered_at__gte=since, source=Source.PEMDA, is_current=True,
            entered_by__username__startswith=USER_PREFIX).only("votes", "valid"):
        if sum(result.votes.values()) != result.valid:
            count += 1
    return count
