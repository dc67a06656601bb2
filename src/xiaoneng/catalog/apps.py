from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "xiaoneng.catalog"
    verbose_name = _("事项目录")

    def ready(self):
        from xiaoneng.core import nav

        from .views import can_view_catalog

        nav.register(_("事项目录"), "catalog:index", 60, visible=can_view_catalog)
