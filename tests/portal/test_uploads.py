import pytest

from tests.portal.conftest import JPG, PDF, PNG, docx_bytes, upload
from xiaoneng.portal.models import Application, ApplicationFile


def _post(client, item, files, action="save"):
    m1, m2 = item.current_version.materials.order_by("order")
    data = {"applicant_type": "person", "applicant_name": "张三", "id_no": "11010519491231002X",
            "contact_name": "张三", "contact_phone": "13800000001", "address": "城关镇", "description": "申请",
            "action": action}
    data[f"m_{m1.pk}"] = files
    return client.post(f"/apply/{item.code}/", data)


@pytest.fixture
def logged_in(client, applicant):
    client.force_login(applicant)
    return client


@pytest.mark.parametrize("name,content", [
    ("a.pdf", PDF), ("b.jpg", JPG), ("b.JPEG", JPG), ("c.png", PNG), ("d.docx", docx_bytes()),
])
def test_accepted_types_are_stored_outside_the_web_root(logged_in, item, settings, name, content):
    r = _post(logged_in, item, [upload(name, content)])
    assert r.status_code == 302
    f = ApplicationFile.objects.get()
    assert f.original_name == name and f.path.startswith("applications/")
    stored = settings.MEDIA_ROOT / f.path
    assert stored.read_bytes() == content and stored.name != name and len(stored.stem) == 32
    assert f.size == len(content) and len(f.sha256) == 64


@pytest.mark.parametrize("name,content,message", [
    ("virus.exe", b"MZ\x90\x00", "类型不允许"),
    ("page.html", b"<html>", "类型不允许"),
    ("noext", PDF, "类型不允许"),
    ("fake.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名不符"),
    ("png-as.jpg", PNG, "内容与扩展名不符"),
    ("zip.docx", b"PK\x03\x04garbage", "内容与扩展名不符"),
    ("empty.pdf", b"", "空文件"),
])
def test_refused_types_and_spoofed_magic(logged_in, item, settings, name, content, message):
    r = _post(logged_in, item, [upload(name, content)])
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not ApplicationFile.objects.exists()
    root = settings.MEDIA_ROOT / "applications"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_refused_size(logged_in, item, settings):
    settings.XN_PORTAL_MAX_FILE_BYTES = 1024
    r = _post(logged_in, item, [upload("big.pdf", PDF + b"0" * 1024)])
    assert r.status_code == 400 and "超过" in r.content.decode()
    assert not ApplicationFile.objects.exists()


def test_default_size_limit_is_10_mib(logged_in, item):
    r = _post(logged_in, item, [upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024))])
    assert r.status_code == 400 and "超过 10 MB" in r.content.decode()


def test_refused_count(logged_in, item, settings):
    settings.XN_PORTAL_MAX_FILES = 3
    r = _post(logged_in, item, [upload(f"{i}.pdf") for i in range(5)])
    assert r.status_code == 400 and "最多上传 3 个文件" in r.content.decode()
    assert ApplicationFile.objects.count() == 3
    app = Application.objects.get()
    r = logged_in.post(f"/apply/d/{app.token}/", {"applicant_type": "person", "action": "save",
                                                  f"m_{item.current_version.materials.first().pk}": [upload("x.pdf")]})
    assert r.status_code == 400 and ApplicationFile.objects.count() == 3


def test_virus_scan_hook(logged_in, item, settings):
    settings.XN_PORTAL_VIRUS_SCANNER = "tests.portal.test_uploads.scanner"
    r = _post(logged_in, item, [upload("eicar.pdf", PDF + b"EICAR"), upload("clean.pdf")])
    assert r.status_code == 400 and "病毒扫描" in r.content.decode()
    files = list(ApplicationFile.objects.all())
    assert [f.original_name for f in files] == ["clean.pdf"] and files[0].scan_result == "clean"
    assert len([p for p in (settings.MEDIA_ROOT / "applications").rglob("*") if p.is_file()]) == 1


def scanner(path):
    return "EICAR test signature" if b"EICAR" in path.read_bytes() else None


def test_delete_file_and_discard_draft(logged_in, item, settings):
    _post(logged_in, item, [upload("a.pdf")])
    f = ApplicationFile.objects.get()
    path = settings.MEDIA_ROOT / f.path
    assert logged_in.post(f"/apply/files/{f.token}/delete/").status_code == 302
    assert not path.exists() and not ApplicationFile.objects.exists()
    app = Application.objects.get()
    assert logged_in.post(f"/apply/d/{app.token}/discard/").status_code == 302
    assert not Application.objects.exists()
