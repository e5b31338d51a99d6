from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from posko.accounts import services
from posko.accounts.models import Agency, Role, User
from posko.core.forms import ServiceFormMixin, StyledFormMixin
from posko.core.middleware import client_ip
from posko.regions.models import Kecamatan, Kelurahan


class LoginForm(StyledFormMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "blocked": _("Too many failed attempts. Wait %(minutes)s minutes and try again, "
                     "or ask the Desk Pilkada admin."),
    }

    def clean(self):
        username = (self.data.get("username") or "").strip()
        if services.login_blocked(username, client_ip(self.request) if self.request else None):
            raise forms.ValidationError(self.error_messages["blocked"], code="blocked",
                                        params={"minutes": settings.LOGIN_FAILURE_WINDOW_MINUTES})
        try:
            return super().clean()
        except forms.ValidationError:
            services.record_login_failure(username)
            raise


class OwnPasswordForm(StyledFormMixin, PasswordChangeForm):
    """The signed-in user's own password: the old one, the new one twice, the password
    validators. Saved by ``services.change_own_password``, never by ``save()``."""


class UserForm(ServiceFormMixin, StyledFormMixin, forms.ModelForm):
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, required=False,
        help_text=_("At least 8 characters. Leave empty to keep it. A new password (or "
                    "deactivating the account) signs the user out everywhere and revokes "
                    "their API token."))

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "role", "kecamatan",
                  "kelurahan", "agency", "personal_data_access", "is_active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = Kecamatan.objects.visible_to(user).order_by("name")
        self.fields["kelurahan"].queryset = Kelurahan.objects.visible_to(user).select_related(
            "kecamatan").order_by("kecamatan__name", "name")
        self.fields["kelurahan"].label_from_instance = lambda k: f"{k.kecamatan.name} — {k.name}"
        self.fields["agency"].queryset = Agency.objects.all()
        self.fields["role"].choices = Role.choices
        if self.instance.pk is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 8 characters.")

    def clean_password(self):
        password = self.cleaned_data.get("password")
        if password:
            password_validation.validate_password(password, self.instance)
        return password
