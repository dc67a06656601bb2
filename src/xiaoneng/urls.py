from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from xiaoneng.api import api

admin.site.site_header = _("效能 · 网上审批与电子监察系统 管理后台")
admin.site.site_title = _("效能管理后台")
admin.site.index_title = _("系统配置")

urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("xiaoneng.core.urls")),
    path("staff/org/", include("xiaoneng.org.urls")),
    path("staff/catalog/", include("xiaoneng.catalog.urls")),
    path("staff/cases/", include("xiaoneng.workbench.urls")),
    path("staff/supervision/", include("xiaoneng.supervision.urls")),
    path("staff/feedback/", include("xiaoneng.feedback.urls")),
    path("staff/evaluation/", include("xiaoneng.evaluation.urls")),
    path("feedback/", include("xiaoneng.feedback.public_urls")),
    path("", include("xiaoneng.portal.urls")),
]

handler400 = "xiaoneng.core.views.bad_request"
handler403 = "xiaoneng.core.views.permission_denied"
handler404 = "xiaoneng.core.views.page_not_found"
handler500 = "xiaoneng.core.views.server_error"
