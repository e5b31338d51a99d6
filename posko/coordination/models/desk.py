"""The Desk Pilkada and its divisions."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# --- the desk ---------------------------------------------------------------------------

class Desk(models.Model):
    """The Desk Pilkada's head and secretariat (one row, pk=1)."""

    decree = models.CharField(_("decree (SK)"), max_length=200, blank=True,
                              help_text=_("e.g. Keputusan Wali Kota Malang Nomor …"))
    chair_title = models.CharField(_("chair"), max_length=150, default="Sekretaris Daerah")
    chair_name = models.CharField(_("chair's name"), max_length=150, blank=True)
    secretariat = models.ForeignKey("accounts.Agency", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("secretariat"))
    secretary_name = models.CharField(_("secretary's name"), max_length=150, blank=True)
    reports_to = models.CharField(_("reports to"), max_length=200, blank=True,
                                  default="Menteri Dalam Negeri melalui Gubernur")

    class Meta:
        verbose_name = _("Desk Pilkada")
        verbose_name_plural = _("Desk Pilkada")

    def __str__(self):
        return str(_("Desk Pilkada"))

    @classmethod
    def load(cls) -> Desk:
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def get_absolute_url(self) -> str:
        return reverse("coordination:desk")


class Division(models.Model):
    """A division (bidang) of the desk and its member agencies."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    duties = models.TextField(_("duties"), blank=True)
    lead = models.ForeignKey("accounts.Agency", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("lead agency"))
    members = models.ManyToManyField("accounts.Agency", blank=True, related_name="divisions",
                                     verbose_name=_("member agencies"))

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("coordination:desk")
