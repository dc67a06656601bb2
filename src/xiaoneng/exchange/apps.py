from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "xiaoneng.exchange"
    verbose_name = _("数据交换")

    def ready(self) -> None:
        from xiaoneng.core import periodic

        from . import ratelimit

        periodic.register("exchange.prune_rate_windows", 600, ratelimit.prune)
