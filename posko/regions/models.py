"""Indonesia's administrative areas, keyed by their Kemendagri codes, and the
Pemda this Posko instance serves."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from posko.core import constants
from posko.core.scope import Scope, ScopedManager


class Provinsi(models.Model):
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class KabKota(models.Model):
    code = models.CharField(_("code"), max_length=5, primary_key=True)
    provinsi = models.ForeignKey(Provinsi, on_delete=models.PROTECT, related_name="kabkota",
                                 verbose_name=_("province"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regency/city")
        verbose_name_plural = _("regencies/cities")

    def __str__(self):
        return self.name

    @property
    def is_kota(self) -> bool:
        return self.name.startswith("Kota ")


class Kecamatan(models.Model):
    code = models.CharField(_("code"), max_length=8, primary_key=True)
    kabkota = models.ForeignKey(KabKota, on_delete=models.PROTECT, related_name="kecamatan",
                                verbose_name=_("regency/city"))
    name = models.CharField(_("name"), max_length=100)

    scope = Scope(kabkota="kabkota_id", kecamatan="code")
    objects = ScopedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self):
        return self.name


class Kelurahan(models.Model):
    code = models.CharField(_("code"), max_length=13, primary_key=True)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="kelurahan",
                                  verbose_name=_("kecamatan"))
    name = models.CharField(_("name"), max_length=100)

    scope = Scope(kabkota="kecamatan__kabkota_id", kecamatan="kecamatan_id", kelurahan="code")
    objects = ScopedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("kelurahan/desa")
        verbose_name_plural = _("kelurahan/desa")

    def __str__(self):
        return self.name

    @property
    def is_desa(self) -> bool:
        """Kemendagri numbers kelurahan 1xxx and desa 2xxx."""
        return self.code.rsplit(".", 1)[-1].startswith("2")

    @property
    def kind_label(self) -> str:
        return _("Desa") if self.is_desa else _("Kelurahan")


class Pemda(models.Model):
    """The local government this instance serves: one kab/kota, or one province
    for a governor's desk. There is exactly one row (pk=1)."""

    kabkota = models.ForeignKey(KabKota, null=True, blank=True, on_delete=models.PROTECT,
                                verbose_name=_("regency/city"))
    provinsi = models.ForeignKey(Provinsi, null=True, blank=True, on_delete=models.PROTECT,
                                 verbose_name=_("province"))
    name = models.CharField(_("name"), max_length=150,
                            help_text=_("e.g. Pemerintah Kota Malang"))

    class Meta:
        verbose_name = _("Pemda")
        verbose_name_plural = _("Pemda")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kabkota__isnull=False, provinsi__isnull=True)
                           | models.Q(kabkota__isnull=True, provinsi__isnull=False)),
                name="pemda_one_region",
            )
        ]

    objects = constants.WatchedManager()

    def __str__(self):
        return self.name

    def clean(self):
        if bool(self.kabkota_id) == bool(self.provinsi_id):
            raise ValidationError(_("A Pemda is either one regency/city or one province."))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> Pemda | None:
        """The instance's Pemda (a per-process constant, see ``core.constants``)."""
        return constants.get(("regions.pemda",), lambda: cls.objects.select_related(
            "kabkota", "provinsi").filter(pk=1).first())

    @classmethod
    def clear_cache(cls):
        constants.reset()

    @property
    def code(self) -> str:
        return self.kabkota_id or self.provinsi_id

    def kecamatan_queryset(self):
        if self.kabkota_id:
            return Kecamatan.objects.filter(kabkota_id=self.kabkota_id)
        return Kecamatan.objects.filter(kabkota__provinsi_id=self.provinsi_id)

    def contains_kelurahan(self, kelurahan: Kelurahan) -> bool:
        prefix = f"{self.code}."
        return kelurahan.code.startswith(prefix)
