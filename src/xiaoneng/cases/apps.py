from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "xiaoneng.cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from xiaoneng.core import periodic

        from .audit import daily_digest

        periodic.register("cases.chain_digest", 24 * 3600, daily_digest)
