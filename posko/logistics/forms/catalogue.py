"""Forms of the catalogue and the logistics settings (saved through ``services.catalogue``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.elections.models import Contest
from posko.logistics.models import Item, LogisticsSettings


class ItemForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Item
        fields = ["code", "name", "contest", "unit", "norm", "quantity", "voters_per_block",
                  "order", "is_active"]
        help_texts = {
            "code": _("Short code used in imports, e.g. kotak-suara."),
            "quantity": _("Per TPS, per contest, or per block of voters; not used by the ballots "
                          "norm, which follows the DPT and the election's reserve."),
            "is_active": _("Inactive items are not required from any TPS."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["quantity"].widget.attrs.update(min=0, inputmode="numeric")
        self.fields["voters_per_block"].widget.attrs.update(min=1, inputmode="numeric")
        contest = self.fields["contest"]
        contest.queryset = Contest.objects.filter(election_id=self.instance.election_id)
        contest.empty_label = _("Every contest (shared item)")
        if self.instance.pk:
            # Which contest a line belongs to is fixed: its receipts and cases name it.
            contest.disabled = True


class LogisticsSettingsForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = LogisticsSettings
        fields = ["tps_deadline_days", "tps_deadline_time"]
        widgets = {"tps_deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}
        help_texts = {
            "tps_deadline_days": _("1 = H-1 (the day before voting day), 0 = voting day itself."),
            "tps_deadline_time": _("Local time; receipts at a TPS after this moment are late."),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tps_deadline_days"].widget.attrs.update(min=0, max=30, inputmode="numeric")
