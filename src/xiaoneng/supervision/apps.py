from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "xiaoneng.supervision"
    verbose_name = _("电子监察")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models import Q
        from django.db.models.signals import post_delete, post_save

        from xiaoneng.cases.models import OPEN_STATUSES, Case
        from xiaoneng.cases.signals import events_recorded
        from xiaoneng.core import nav, periodic

        from . import config, jobs, subjects
        from .models import OrderStatus, RuleConfig, RuleOverride, SupervisionOrder
        from .permissions import is_staff_member, sees_wall

        subjects.register("case", Case, case_field="id", label_field="case_no", item_field="item",
                          open_filter=Q(status__in=OPEN_STATUSES))
        subjects.register("order", SupervisionOrder, case_field="case", label_field="order_no",
                          open_filter=Q(status=OrderStatus.OPEN))

        events_recorded.connect(jobs.on_events_recorded, dispatch_uid="supervision_on_events_recorded")
        try:
            from xiaoneng.workcal.signals import calendar_changed
        except ImportError:  # pragma: no cover
            pass
        else:
            calendar_changed.connect(jobs.on_calendar_changed, dispatch_uid="supervision_reproject_orders")
        for model in (RuleConfig, RuleOverride):
            post_save.connect(config.invalidate, sender=model, dispatch_uid=f"supervision_invalidate_{model.__name__}")
            post_delete.connect(config.invalidate, sender=model,
                                dispatch_uid=f"supervision_invalidate_del_{model.__name__}")

        interval = int(getattr(settings, "XN_SWEEP_INTERVAL_SECONDS", 60) or 60)
        periodic.register("supervision.sweep", interval, jobs.sweep_job)
        periodic.register("supervision.escalate", interval, jobs.escalate_job)
        periodic.register("supervision.outbound", interval, jobs.outbound_job)
        periodic.register("supervision.wall_snapshot", int(getattr(settings, "XN_WALL_SNAPSHOT_SECONDS", 60) or 60),
                          jobs.snapshot_job)

        nav.register(_("电子监察"), "supervision:wall", 50, visible=sees_wall)
        nav.register(_("预警督办"), "supervision:queue", 51, visible=is_staff_member)

        try:
            from xiaoneng.cases.policy import set_policy_provider
        except ImportError:  # pragma: no cover
            return
        set_policy_provider(config.policy_provider)
