from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

HANDLING = ("acceptor", "reviewer1", "reviewer2", "decider", "notifier", "chief_rep", "leader", "section_chief",
            "dept_admin")


class WorkbenchConfig(AppConfig):
    name = "xiaoneng.workbench"
    label = "workbench"
    verbose_name = _("审批工作台")

    def ready(self) -> None:
        from xiaoneng.core import nav, periodic

        from .access import is_agent, is_staff_with
        from .services import deemed_consent

        nav.register(_("待办"), "workbench:inbox", 10, visible=lambda user: is_staff_with(user, *HANDLING))
        nav.register(_("申办登记"), "workbench:register", 11,
                     visible=lambda user: is_staff_with(user, "acceptor", "chief_rep"))
        nav.register(_("已办"), "workbench:done", 12, visible=lambda user: is_staff_with(user, *HANDLING))
        nav.register(_("办件查询"), "workbench:list", 13,
                     visible=lambda user: is_staff_with(user, *HANDLING, "supervisor"))
        nav.register(_("代办"), "workbench:agent", 14, visible=is_agent)
        periodic.register("workbench.deemed_consent", 300, deemed_consent)
