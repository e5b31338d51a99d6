"""C.Hasil entries received from the field API and not yet processed (``POSKO_FANOUT=job``):
the durable record written before the 202 answer, in the same statement as the
Idempotency-Key's answer. A background job turns each into a :class:`TpsResult` version
(checked, flagged, rolled up, reconciled, audited) within seconds, in batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from posko.elections.models import TpsRow
from posko.voting.models.results import Source


class ResultSubmission(TpsRow):
    """One C.Hasil as the phone sent it. ``processed_at`` is set when the job has turned it
    into ``result`` or, when it could no longer be accepted (a rule that changed meanwhile,
    a twin entry), recorded why in ``refusals`` (``[[field, message], …]``)."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", db_index=False, verbose_name=_("election"))
    tps = models.ForeignKey("elections.Tps", on_delete=models.CASCADE,
                            related_name="result_submissions", verbose_name=_("TPS"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("contest"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    values = models.JSONField(_("numbers"), default=dict)
    votes = models.JSONField(_("votes per pair"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name=_("entered by"))
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    result = models.ForeignKey("voting.TpsResult", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("C.Hasil entry"))
    refusals = models.JSONField(_("refused because"), default=list, blank=True)

    class Meta:
        verbose_name = _("C.Hasil submission")
        verbose_name_plural = _("C.Hasil submissions")
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True),
                                name="voting_submission_pending")]

    def __str__(self):
        return f"{self.tps_id} · {self.contest_id} · {self.source} · {self.received_at:%H:%M:%S}"
