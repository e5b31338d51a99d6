"""Pages for API tokens (own and, for admins, everyone's) and the two-step login."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from posko.accounts import tokens, two_factor
from posko.accounts.models import User
from posko.core.forms import StyledFormMixin


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy(
        "Where the token is used, e.g. \"HP Lurah Klojen\" or \"Rekap Excel\"."))
    days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1,
                              max_value=tokens.MAX_DAYS)


class CodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=20, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}))


class TokenListView(LoginRequiredMixin, TemplateView):
    """The user's own tokens: create one (its key is shown once, on this answer only), see
    name, created, expiry and last use, revoke."""

    template_name = "accounts/token_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TokenForm(initial={"days": settings.POSKO_API_TOKEN_DAYS}))
        context["tokens"] = self.request.user.api_tokens.all()
        return context

    def post(self, request, *args, **kwargs):
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token, key = tokens.create(request.user, name=form.cleaned_data["name"],
                                   days=form.cleaned_data["days"])
        return self.render_to_response(self.get_context_data(new_token=token, new_key=key))


class AllTokensView(LoginRequiredMixin, TemplateView):
    """Every user's tokens, for admins, each with a revoke button."""

    template_name = "accounts/token_admin.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.can_manage_users:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = tokens.visible_to(self.request.user).order_by("user__username", "-created")
        context["page"] = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        return context


class TokenRevokeView(LoginRequiredMixin, TemplateView):
    """POST: revoke a token; another user's token is a 404 unless the actor is an admin."""

    http_method_names = ["post"]

    def post(self, request, pk):
        token = tokens.revoke(request.user, pk)
        messages.success(request, _("Token revoked: %(name)s.") % {"name": token.name})
        if token.user_id != request.user.pk:
            return HttpResponseRedirect(reverse("accounts:token_admin"))
        return HttpResponseRedirect(reverse("accounts:tokens"))


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class TwoFactorView(LoginRequiredMixin, TemplateView):
    """The second login step: a code from the app (or a recovery code) for a user who has a
    device; the enrolment (QR code, manual key, first code) for one who has none yet."""

    template_name = "accounts/two_factor.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        totp = two_factor.device(user)
        context.update(next=_next_url(self.request), enrolled=totp is not None,
                       verified=two_factor.is_verified(self.request))
        context.setdefault("form", CodeForm())
        if totp is None:
            pending = two_factor.pending_device(user)
            context.update(qr_svg=two_factor.qr_svg(pending), manual_key=two_factor.manual_key(pending))
        else:
            context["recovery_left"] = two_factor.unused_recovery_codes(user)
        return context

    def post(self, request, *args, **kwargs):
        form = CodeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        code = form.cleaned_data["code"]
        if wait := two_factor.wait_seconds(request.user):
            form.add_error("code", _("Too many wrong codes. Wait %(seconds)s seconds and try "
                                     "again.") % {"seconds": wait})
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if two_factor.device(request.user) is None:
            codes = two_factor.confirm(request, two_factor.pending_device(request.user), code)
            if codes is None:
                form.add_error("code", _("That code is not right. Check the time on your phone "
                                         "and type the code the app shows now."))
                return self.render_to_response(self.get_context_data(form=form), status=400)
            return self.render_to_response(self.get_context_data(recovery_codes=codes))
        if not two_factor.verify(request, code):
            form.add_error("code", _("That code is not right (or was already used)."))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return HttpResponseRedirect(_next_url(request))


class RecoveryCodesView(LoginRequiredMixin, TemplateView):
    """POST: ten new recovery codes (the old ones stop working), shown once."""

    template_name = "accounts/two_factor.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if two_factor.device(request.user) is None or not two_factor.is_verified(request):
            raise Http404
        codes = two_factor.replace_recovery_codes(request.user)
        return self.render_to_response({"recovery_codes": codes, "enrolled": True,
                                        "verified": True, "next": reverse("accounts:profile")})


class TwoFactorResetView(LoginRequiredMixin, TemplateView):
    """POST, admins: remove a user's authenticator and recovery codes (audited)."""

    http_method_names = ["post"]

    def post(self, request, pk):
        if not request.user.can_manage_users:
            raise PermissionDenied
        user = get_object_or_404(User, pk=pk)
        two_factor.reset(user, actor=request.user)
        messages.success(request, _("Two-step verification of %(user)s was reset: they set it "
                                    "up again at their next login.") % {"user": user.username})
        return HttpResponseRedirect(reverse("accounts:user_edit", args=[user.pk]))
