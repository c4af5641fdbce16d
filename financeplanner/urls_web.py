"""The server-rendered pages: sign-in, the dashboard, the company and language switchers, and each app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy

from contingency.views.dashboard import DashboardView

from .views import account

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
    path("", include("channels_app.urls")),
]
