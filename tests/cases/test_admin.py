"""The cases admin is read-only and never shows encrypted or raw personal data."""

import pytest
from django.urls import reverse

from tests.cases.conftest import at, ev, submitted
from xiaoneng.cases.models import Case, CaseEvent
from xiaoneng.cases.services import record_events


@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "Root-pass-123")
    client.force_login(user)
    return client


def test_case_admin_is_read_only(county, admin_client_):
    record_events([submitted("A1", at(2025, 11, 3, 9), county), ev("A1", "accepted", at(2025, 11, 3, 10))],
                  received_at=at(2025, 11, 3, 12))
    case = Case.objects.get()
    assert admin_client_.get(reverse("admin:cases_case_changelist")).status_code == 200
    page = admin_client_.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "330122199001011234" not in html and case.applicant_id_cipher not in html
    assert "3301**********1234" in html
    assert admin_client_.get(reverse("admin:cases_case_add")).status_code == 403
    assert admin_client_.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"}).status_code == 403
    event = CaseEvent.objects.first()
    assert admin_client_.get(reverse("admin:cases_caseevent_change", args=[event.pk])).status_code == 200
    assert admin_client_.post(reverse("admin:cases_caseevent_delete", args=[event.pk]),
                              {"post": "yes"}).status_code == 403
    assert CaseEvent.objects.count() == 2


def test_imported_history_can_be_told_apart_in_the_event_list(county, admin_client_):
    from dataclasses import replace

    record_events([replace(submitted("HIST-0001", at(2025, 3, 3, 9), county), backfilled=True)],
                  received_at=at(2025, 11, 3, 12))
    record_events([submitted("LIVE-0001", at(2025, 11, 3, 9), county)], received_at=at(2025, 11, 3, 12))
    url = reverse("admin:cases_caseevent_changelist")
    imported = admin_client_.get(url, {"backfilled__exact": "1"}).content.decode()
    assert "HIST-0001" in imported and "LIVE-0001" not in imported
    reported = admin_client_.get(url, {"backfilled__exact": "0"}).content.decode()
    assert "LIVE-0001" in reported and "HIST-0001" not in reported
