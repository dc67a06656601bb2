"""What a source system may read: its bound departments, plus (for a supervisor system) every department in
its region's subtree. Posting is always limited to the bound departments."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from xiaoneng.org.models import Department

from .models import SourceSystem


def readable_departments(system: SourceSystem) -> QuerySet[Department]:
    query = Q(source_systems=system)
    if system.is_supervisor:
        query |= Q(region__path__startswith=system.region.path) if system.region_id else Q(pk__isnull=False)
    return Department.objects.filter(query).distinct()


def readable_department_ids(system: SourceSystem) -> set[int]:
    cached = getattr(system, "_readable_ids", None)
    if cached is None:
        cached = set(readable_departments(system).values_list("pk", flat=True))
        system._readable_ids = cached
    return cached
