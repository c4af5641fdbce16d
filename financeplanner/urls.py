from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's set-up script is served as its own file (no inline script); its page keeps one inline <style>.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
    path("api/v1/", include("financeplanner.api.urls")),
    path("", include("financeplanner.urls_web")),
    path("", include("contingency.urls")),
]
handler404 = "financeplanner.api.exceptions.not_found"
handler500 = "financeplanner.api.exceptions.server_error"
