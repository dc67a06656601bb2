from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xiaoneng.portal"
    verbose_name = _("公众服务门户")
