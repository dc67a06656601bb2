import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.catalog.test_excel import STEPS, item_row, workbook
from xiaoneng.catalog import services
from xiaoneng.catalog.models import Item, VersionStatus
from xiaoneng.org.models import Post

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="items.xlsx", publish=False):
    payload = {"file": SimpleUploadedFile(name, data)}
    if publish:
        payload["publish"] = "on"
    return client.post(reverse("catalog:import"), payload, follow=True)


def test_list_is_scoped_to_the_users_departments(county, client):
    client.force_login(county.a.staff[Post.ACCEPTOR])
    body = client.get(reverse("catalog:index")).content.decode()
    assert county.a.version.item.name in body and county.b.version.item.name not in body
    assert client.get(reverse("catalog:item", args=[county.b.version.item.pk])).status_code == 404
    assert client.get(reverse("catalog:item", args=[county.a.version.item.pk])).status_code == 200


def test_supervisor_reads_all_items(county, client):
    client.force_login(county.supervisor)
    body = client.get(reverse("catalog:index")).content.decode()
    assert county.a.version.item.name in body and county.b.version.item.name in body


def test_upload_report_and_download(county, client):
    client.force_login(county.a.staff[Post.DEPT_ADMIN])
    data = workbook([item_row("X1", "DA"), item_row("Y1", "DB")], STEPS)
    response = upload(client, data, publish=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "department_not_allowed" in body and "Y1" in body
    assert Item.objects.get(code="X1").current_version.status == VersionStatus.PUBLISHED
    assert not Item.objects.filter(code="Y1").exists()
    report = client.get(reverse("catalog:import_report_download"))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(report.content), read_only=True)["明细"].iter_rows(values_only=True))
    assert any(r[2] == "Y1" and r[4] == "department_not_allowed" for r in rows)
    rejected_only = client.get(reverse("catalog:import_report") + "?only=rejected").content.decode()
    assert "Y1" in rejected_only


@pytest.mark.parametrize(("name", "data", "message"), [
    ("items.txt", b"hello", "xlsx"),
    ("items.xlsx", b"this is not a zip", "Excel"),
])
def test_bad_upload_gives_a_message_not_a_traceback(county, client, name, data, message):
    client.force_login(county.a.staff[Post.DEPT_ADMIN])
    response = upload(client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Item.objects.count() == 2


def test_plain_staff_cannot_import_or_publish(county, client):
    client.force_login(county.a.staff[Post.ACCEPTOR])
    assert upload(client, workbook([item_row("X1")])).status_code == 403
    draft = services.new_draft_from(county.a.version)
    assert client.post(reverse("catalog:version_publish", args=[draft.pk])).status_code == 403


def test_department_admin_publishes_own_draft_not_others(county, client):
    client.force_login(county.a.staff[Post.DEPT_ADMIN])
    own = services.new_draft_from(county.a.version)
    other = services.new_draft_from(county.b.version)
    assert client.post(reverse("catalog:version_publish", args=[other.pk])).status_code == 404
    client.post(reverse("catalog:version_publish", args=[own.pk]))
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.status == VersionStatus.PUBLISHED and other.status == VersionStatus.DRAFT


def test_template_and_export_downloads(county, client):
    client.force_login(county.a.staff[Post.DEPT_ADMIN])
    template = load_workbook(io.BytesIO(client.get(reverse("catalog:template")).content), read_only=True)
    assert template.sheetnames[:4] == ["事项", "环节", "收费", "材料"]
    export = load_workbook(io.BytesIO(client.get(reverse("catalog:export")).content), read_only=True)
    codes = [r[0] for r in export["事项"].iter_rows(min_row=2, values_only=True)]
    assert codes == [county.a.version.item.code]
