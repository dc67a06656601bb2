from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalConfig(AppConfig):
    name = "xiaoneng.workcal"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from xiaoneng.core import periodic

        from . import receivers  # noqa: F401  (every saved/deleted calendar row bumps the version token)
        from .services import daily_sync_and_check, reproject_stale

        periodic.register("workcal.sync_and_check", 24 * 3600, daily_sync_and_check)
        periodic.register("workcal.reproject_stale", 300, reproject_stale)
