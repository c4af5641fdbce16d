"""The server-rendered pages: sign-in, the dashboard, the company and language switchers, and each app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy

from contingency.views.dashboard import DashboardView

from .views import account, exports, settings
from .views.generic import object_paths

# The company's settings (namespace "settings"); the early-warning ones are contingency's, under settings/ too.
settings_patterns = [
    path("", settings.SettingsView.as_view(), name="index"),
    path("policy/", settings.PolicyFormView.as_view(), name="policy"),
    *object_paths("fx-rates/", settings.FxRateListView, settings.FxRateFormView),
    path("members/", settings.MemberListView.as_view(), name="member-list"),
    path("members/invite/", settings.MemberInviteView.as_view(), name="member-add"),
    path("members/<int:pk>/edit/", settings.MemberRoleView.as_view(), name="member-edit"),
    path("members/<int:pk>/delete/", settings.MemberRemoveView.as_view(), name="member-delete"),
    path("api-keys/", settings.ApiKeyListView.as_view(), name="apikey-list"),
    path("api-keys/add/", settings.ApiKeyCreateView.as_view(), name="apikey-add"),
    path("api-keys/<int:pk>/revoke/", settings.ApiKeyRevokeView.as_view(), name="apikey-revoke"),
]

urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("company/", account.ChooseCompanyView.as_view(), name="choose-company"),
    path("invitations/", account.InvitationsView.as_view(), name="invitations"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, extra_context={"title": gettext_lazy("Log in"), "narrow": True}
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("exports/", exports.ExportsView.as_view(), name="exports"),
    path("exports/<str:dataset>/download/", exports.ExportDownloadView.as_view(), name="export-download"),
    path("settings/", include((settings_patterns, "settings"))),
    path("", include("channels_app.urls")),
]
