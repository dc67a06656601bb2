import pytest
from axes.models import AccessAttempt

from xiaoneng.org.models import User
from xiaoneng.portal.models import ApplicantProfile, VerificationStatus
from xiaoneng.portal.realname import Verification
from xiaoneng.portal.validation import credit_code_check_char, is_valid_credit_code, is_valid_id_no

GOOD = {"applicant_type": "person", "name": "张三", "id_no": "11010519491231002X", "phone": "13800001111",
        "password1": "Xn-pass-2026!", "password2": "Xn-pass-2026!"}


@pytest.mark.parametrize("code,ok", [
    ("91350100M000100Y43", True), ("91110000802100433B", True), ("91110000802100433C", False),
    ("9111000080210043", False), ("91110000802100433I", False), ("91ABCDEF802100433B", False), ("", False),
])
def test_credit_code_check_digit(code, ok):
    assert is_valid_credit_code(code) is ok


def test_credit_code_check_char_round_trip():
    assert credit_code_check_char("91350100M000100Y4") == "3"
    assert is_valid_credit_code("91350100m000100y43")  # case-insensitive


def test_id_no_check_digit():
    assert is_valid_id_no("11010519491231002X") and not is_valid_id_no("110105194912310021")


def test_signup_person_creates_unverified_applicant(client, county):
    r = client.post("/account/signup/", GOOD)
    assert r.status_code == 302
    user = User.objects.get(username="13800001111")
    assert user.kind == "applicant" and user.phone == "13800001111" and user.full_name == "张三"
    profile = user.applicant_profile
    assert profile.verification == VerificationStatus.UNVERIFIED
    assert profile.id_no_masked == "1101**********002X" and "1101051949" not in profile.id_no_cipher
    assert "未实名核验" in client.get("/account/").content.decode()


def test_signup_organisation_needs_a_valid_credit_code(client, county):
    data = {**GOOD, "applicant_type": "organisation", "name": "测试县某某餐饮有限公司", "id_no": "",
            "credit_code": "91350100M000100Y44"}
    r = client.post("/account/signup/", data)
    assert r.status_code == 200 and "GB 32100" in r.content.decode()
    data["credit_code"] = "91350100M000100Y43"
    assert client.post("/account/signup/", data).status_code == 302
    assert User.objects.get(username="13800001111").credit_code == "91350100M000100Y43"


@pytest.mark.parametrize("field,value,message", [
    ("phone", "1380000111", "11位手机号码"),
    ("phone", "23800001111", "11位手机号码"),
    ("id_no", "110105194912310021", "GB 11643"),
    ("password1", "12345678", "密码"),
    ("password2", "Other-pass-1", "不一致"),
])
def test_signup_validation(client, county, field, value, message):
    data = {**GOOD, field: value}
    if field == "password1":
        data["password2"] = value
    r = client.post("/account/signup/", data)
    assert r.status_code == 200
    assert message in r.content.decode()
    assert not User.objects.filter(kind="applicant").exists()


def test_signup_refuses_a_registered_phone(client, county, applicant):
    r = client.post("/account/signup/", {**GOOD, "phone": applicant.phone})
    assert "已注册" in r.content.decode()


def test_pluggable_verifier(client, county, settings):
    settings.XN_PORTAL_REALNAME_VERIFIER = "tests.portal.test_accounts.always_verified"
    client.post("/account/signup/", GOOD)
    profile = ApplicantProfile.objects.get(user__username="13800001111")
    assert profile.verification == "verified" and profile.verifier == "test-idp" and profile.verified_at


def always_verified(user, *, name, id_no, credit_code):
    assert name == "张三" and id_no == "11010519491231002X"
    return Verification(VerificationStatus.VERIFIED, "test-idp", "ok")


def test_login_with_phone_and_axes_lockout(client, county, applicant, settings):
    r = client.post("/account/login/", {"phone": "138 0000 0001", "password": "Xn-pass-2026!"})
    assert r.status_code == 302 and r["Location"] == "/my/"
    client.post("/account/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        r = client.post("/account/login/", {"phone": applicant.phone, "password": "wrong-password"})
    assert AccessAttempt.objects.filter(username=applicant.phone).exists()
    r = client.post("/account/login/", {"phone": applicant.phone, "password": "Xn-pass-2026!"})
    assert r.status_code in (403, 429)
    assert "_auth_user_id" not in client.session


def test_login_next_is_safe(client, county, applicant):
    r = client.post("/account/login/?next=https://evil.example/", {"phone": applicant.phone,
                                                                    "password": "Xn-pass-2026!"})
    assert r["Location"] == "/my/"
