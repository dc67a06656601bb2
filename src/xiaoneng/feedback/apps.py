from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "xiaoneng.feedback"
    verbose_name = _("咨询投诉评价")

    def ready(self) -> None:
        from django.db.models import Q

        from xiaoneng.core import nav

        from . import policy
        from .models import Complaint, ComplaintStatus, Consultation, ConsultationStatus, Rating

        nav.register(_("咨询投诉评价"), "feedback:inbox", 60, visible=policy.is_staff_user)

        from xiaoneng.workcal.signals import calendar_changed

        from . import receivers

        calendar_changed.connect(receivers.on_calendar_changed, dispatch_uid="feedback_reproject_on_calendar")
        try:
            from xiaoneng.supervision.subjects import register
        except ImportError:  # the supervision engine is not installed yet
            return
        register("consultation", Consultation, label_field="receipt_no", item_field="item",
                 open_filter=Q(status=ConsultationStatus.RECEIVED))
        register("complaint", Complaint, case_field="case", label_field="receipt_no",
                 open_filter=Q(status__in=[ComplaintStatus.RECEIVED, ComplaintStatus.ACCEPTED,
                                           ComplaintStatus.INVESTIGATING]))
        register("rating", Rating, case_field="case", label_field="receipt_no",
                 open_filter=Q(is_bad=True, removed=False, rectified_at__isnull=True))
