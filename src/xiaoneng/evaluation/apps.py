from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "xiaoneng.evaluation"
    verbose_name = _("绩效评估")
