from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "xiaoneng.feedback"
    verbose_name = _("咨询投诉评价")
