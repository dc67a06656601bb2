"""Screenshots of the public portal (guide, application form, progress) at phone and desktop widths.

Run: .venv/bin/python docs/screenshots/take_screenshots.py
Builds a small demo county in a temporary XN_DATA_DIR, starts the development server on it, and drives Debian's
Chromium (/usr/bin/chromium) through Playwright. PNG files are written next to this script.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
PASSWORD = "Xn-demo-2026!"


def env() -> dict:
    e = dict(os.environ)
    e.update(XN_DATA_DIR=tempfile.mkdtemp(prefix="xn-shots-"), DJANGO_SETTINGS_MODULE="xiaoneng.settings",
             ALLOWED_HOSTS="127.0.0.1,localhost", XN_LOG_LEVEL="WARNING", DEBUG="0")
    e.pop("DATABASE_URL", None)
    return e


def build(environment: dict) -> dict:
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from xiaoneng.cases.services import NewEvent, next_case_no, record_event_or_raise
    from xiaoneng.catalog.models import Fee, Item, ItemVersion, Material, Step, VersionStatus
    from xiaoneng.org.models import Department, Region
    from xiaoneng.portal import services

    city = Region.objects.create(code="330100000000", name="示例市", level="city")
    county = Region.objects.create(code="330122000000", name="示例县", level="county", parent=city)
    sc = Department.objects.create(code="SCJG", name="示例县市场监督管理局", region=county, phone="0571-6420 1234")
    js = Department.objects.create(code="ZJJ", name="示例县住房和城乡建设局", region=county)

    def item(dept, code, name, life_event, keywords, statutory, promised, materials, fees=(), **extra):
        it = Item.objects.create(code=code, name=name, item_type="01", department=dept, life_event=life_event,
                                 keywords=keywords)
        v = ItemVersion.objects.create(
            item=it, number=1, status=VersionStatus.PUBLISHED, statutory_days=statutory, promised_days=promised,
            published_at=timezone.now(), effective_from=timezone.localdate(), **extra)
        for o, (c, n, post, d) in enumerate([("accept", "受理", "acceptor", 1), ("review1", "审查", "reviewer1", 3),
                                             ("decide", "决定", "decider", 1), ("notify", "办结告知", "notifier", 1)], 1):
            Step.objects.create(version=v, order=o, code=c, name=n, post=post, days=d)
        for o, (n, form, note) in enumerate(materials, 1):
            blank = ""
            if "申请书" in n:  # a blank form to download
                from django.core.files.base import ContentFile
                from django.core.files.storage import default_storage

                blank = default_storage.save(f"forms/{code}-{o}.docx", ContentFile(b"PK\x03\x04"))
            Material.objects.create(version=v, order=o, name=n, form=form, note=note, blank_form=blank)
        for c, n, amount, basis in fees:
            Fee.objects.create(version=v, code=c, name=n, amount=Decimal(amount), basis=basis)
        it.current_version = v
        it.save(update_fields=["current_version"])
        return it

    food = item(
        sc, "330122-SC-0001", "食品经营许可证核发", "开办企业", "餐饮 开店 小吃 超市", 20, 6,
        [("食品经营许可申请书", "原件", "可下载空白表格填写"), ("营业执照", "复印件", ""),
         ("法定代表人（负责人）身份证明", "复印件", ""), ("经营场所平面布局图", "原件", "标明设备布局和工艺流程"),
         ("食品安全管理制度文本", "原件", "")],
        fees=[("F00", "许可证工本费", "0.00", "财税〔2015〕102号：免收食品经营许可证工本费")],
        legal_basis="《中华人民共和国食品安全法》第三十五条：国家对食品生产经营实行许可制度。\n"
                    "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）。",
        conditions="1. 具有与经营的食品品种、数量相适应的经营场所；\n2. 具有相应的设备或者设施；\n"
                   "3. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度。",
        location="示例县行政服务中心一楼 市场监管窗口（12—15号）", office_hours="工作日 8:30—12:00，14:00—17:30",
        consult_phone="0571-6420 1234", complaint_phone="12345", visits_required=0,
    )
    item(js, "330122-JS-0003", "农村村民住宅建设规划许可", "建房", "建房 宅基地 农房", 20, 10,
         [("农村宅基地和建房（规划许可）申请表", "原件", ""), ("户口簿", "复印件", "")],
         fees=[("F01", "不动产登记费", "80.00", "发改价格规〔2016〕2559号")], location="乡镇便民服务中心")
    item(sc, "330122-SC-0002", "个体工商户设立登记", "开办企业", "个体户 营业执照 摊位", 15, 1,
         [("个体工商户登记申请书", "原件", ""), ("经营者身份证明", "复印件", "")], location="示例县行政服务中心")

    user = services.register_applicant(applicant_type="person", phone="13800138000", name="张三",
                                       password=PASSWORD, id_no="11010519491231002X")
    now = timezone.now()
    case = record_event_or_raise(NewEvent(
        case_no=next_case_no("330122000000"), type="submitted", occurred_at=now - timezone.timedelta(days=3),
        item_code=food.code, department_code=sc.code,
        payload={"applicant": {"type": "person", "name": "张三", "id_no": "11010519491231002X"},
                 "channel": "online"},
        case_fields={"channel": "online", "applicant_user_id": user.id}))
    for t, extra, days in (("accepted", {}, 2), ("step_completed", {"step": "accept", "outcome": "pass"}, 2),
                           ("step_completed", {"step": "review1", "outcome": "pass"}, 1)):
        case = record_event_or_raise(NewEvent(case_no=case.case_no, type=t, occurred_at=now - timezone.timedelta(
            days=days), actor_id="1", actor_name="李受理", payload=extra))
    return {"item": food.code, "case_no": case.case_no, "code": case.query_code}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    environment = env()
    data = build(environment)
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/xiaoneng"), "runserver", f"127.0.0.1:{port}", "--noreload"],
                              env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--lang=zh-CN"])
            for label, (w, h) in SIZES.items():
                ctx = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN",
                                          device_scale_factor=1)
                page = ctx.new_page()
                for _ in range(100):
                    try:
                        page.goto(f"{base}/", timeout=2000)
                        break
                    except Exception:  # noqa: BLE001 - server still starting
                        time.sleep(0.3)
                page.goto(f"{base}/guide/{data['item']}/")
                page.screenshot(path=str(HERE / f"portal-guide-{label}.png"), full_page=True)
                page.goto(f"{base}/guide/?q=食品")
                page.screenshot(path=str(HERE / f"portal-search-{label}.png"), full_page=False)
                page.goto(f"{base}/query/")
                page.get_by_label("办件编号").fill(data["case_no"])
                page.get_by_label("查询码").fill(data["code"])
                page.get_by_role("button", name="查询").click()
                page.wait_for_selector(".progress")
                page.screenshot(path=str(HERE / f"portal-progress-{label}.png"), full_page=True)
                page.goto(f"{base}/account/login/")
                page.get_by_label("手机号码或账号").fill("13800138000")
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url("**/my/")
                page.goto(f"{base}/apply/{data['item']}/")
                page.screenshot(path=str(HERE / f"portal-apply-{label}.png"), full_page=True)
                ctx.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    for p in sorted(HERE.glob("portal-*.png")):
        print(p.relative_to(ROOT))


if __name__ == "__main__":
    main()
