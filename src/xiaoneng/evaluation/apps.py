from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "xiaoneng.evaluation"
    verbose_name = _("绩效评估")

    def ready(self) -> None:
        from xiaoneng.core import nav, periodic

        from . import permissions, services

        periodic.register("evaluation.monthly", 24 * 3600, services.monthly_job)
        nav.register(_("绩效评估"), "evaluation:home", 70, visible=permissions.may_see_evaluation)
