"""The demo remembers the moment its time-dependent rows were built for (``posko demo
--as-of``): a run for another moment rebuilds them (:mod:`posko.demo.timeline`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoBuild(models.Model):
    """At most one row (pk 1): the simulated moment the demo's data was last built for."""

    as_of = models.DateTimeField(_("built for the moment"))

    class Meta:
        verbose_name = _("demo build")
        verbose_name_plural = _("demo builds")

    def __str__(self):
        return str(self.as_of)
