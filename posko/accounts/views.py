from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.accounts import services, two_factor
from posko.accounts.forms import LoginForm, OwnPasswordForm, UserForm
from posko.accounts.models import User
from posko.core import audit


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class AdminRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.can_manage_users:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class UserListView(AdminRequiredMixin, TemplateView):
    template_name = "accounts/user_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        qs = User.objects.select_related("kecamatan", "kelurahan", "agency").order_by("username")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q)
                           | Q(last_name__icontains=q))
        context.update(page=Paginator(qs, 50).get_page(self.request.GET.get("page")), q=q)
        return context


class UserEditView(AdminRequiredMixin, TemplateView):
    template_name = "accounts/user_edit.html"

    def _user(self):
        if "pk" not in self.kwargs:
            return User()
        try:
            return User.objects.get(pk=self.kwargs["pk"])
        except User.DoesNotExist:
            raise Http404 from None

    def get(self, request, *args, **kwargs):
        obj = self._user()
        return self.render_to_response({"form": UserForm(instance=obj, user=request.user),
                                        "object": obj})

    def post(self, request, *args, **kwargs):
        obj = self._user()
        is_new = obj.pk is None
        before = None if is_new else audit.snapshot(obj)
        form = UserForm(request.POST, instance=obj, user=request.user)
        if form.is_valid():
            user = form.save(commit=False)
            password = form.cleaned_data.get("password")
            if is_new:
                services.create_user(user, actor=request.user, password=password)
            else:
                services.update_user(user, actor=request.user, before=before)
                if password:
                    services.set_password(user, actor=request.user, password=password)
            messages.success(request, _("Saved: %(object)s.") % {"object": user.username})
            return HttpResponseRedirect(reverse("accounts:user_list"))
        return self.render_to_response({"form": form, "object": obj}, status=400)


class ProfileView(LoginRequiredMixin, TemplateView):
    """The signed-in user's account: links to their API tokens and two-step verification."""

    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(token_count=user.api_tokens.count(),
                       two_factor_on=two_factor.device(user) is not None,
                       two_factor_required=two_factor.required(user))
        return context


class PasswordChangeView(LoginRequiredMixin, TemplateView):
    """The user changes their own password. Their other sessions and their API token end
    (a password is changed because it may be known to someone else); this session stays."""

    template_name = "accounts/password_change.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response({"form": OwnPasswordForm(request.user)})

    def post(self, request, *args, **kwargs):
        form = OwnPasswordForm(request.user, request.POST)
        if not form.is_valid():
            return self.render_to_response({"form": form}, status=400)
        services.change_own_password(request.user, password=form.cleaned_data["new_password1"],
                                     keep_session_key=request.session.session_key)
        update_session_auth_hash(request, request.user)  # this session stays signed in
        messages.success(request, _(
            "Your password was changed. You were signed out everywhere else, and your API "
            "token no longer works: create a new one if you use the API."))
        return HttpResponseRedirect(reverse("accounts:profile"))


class UserHistoryView(AdminRequiredMixin, TemplateView):
    template_name = "core/object_history.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            obj = User.objects.get(pk=kwargs["pk"])
        except User.DoesNotExist:
            raise Http404 from None
        context.update(object=obj, page=Paginator(audit.history(obj), 50).get_page(
            self.request.GET.get("page")))
        return context
