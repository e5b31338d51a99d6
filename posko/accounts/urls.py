from django.urls import path

from posko.accounts import views
from posko.accounts import views_security as security

app_name = "accounts"

urlpatterns = [
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserEditView.as_view(), name="user_add"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/history/", views.UserHistoryView.as_view(), name="user_history"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("users/<int:pk>/reset-2fa/", security.TwoFactorResetView.as_view(),
         name="two_factor_reset"),
    path("tokens/", security.TokenListView.as_view(), name="tokens"),
    path("tokens/all/", security.AllTokensView.as_view(), name="token_admin"),
    path("tokens/<int:pk>/revoke/", security.TokenRevokeView.as_view(), name="token_revoke"),
    path("two-step/", security.TwoFactorView.as_view(), name="two_factor"),
    path("two-step/recovery-codes/", security.RecoveryCodesView.as_view(),
         name="recovery_codes"),
    path("profile/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
