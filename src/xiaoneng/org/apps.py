from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "xiaoneng.org"
    verbose_name = _("组织机构")

    def ready(self):
        from xiaoneng.core import nav

        from .views import can_manage_staff

        nav.register(_("人员与岗位"), "org:staff_list", 90, visible=can_manage_staff)
