"""Public forms: sign-up, login, the application form and the progress query."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import ApplicantType

from .validation import (
    is_valid_credit_code,
    is_valid_id_no,
    normalise_phone,
    validate_phone,
)

User = get_user_model()


class PortalForm(forms.Form):
    """No ":" after labels (Chinese forms put the label above the field)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class SignupForm(PortalForm):
    applicant_type = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantType.choices,
                                       initial=ApplicantType.PERSON, widget=forms.RadioSelect)
    name = forms.CharField(label=_("姓名或单位名称"), max_length=64)
    id_no = forms.CharField(label=_("居民身份证号码"), max_length=18, required=False,
                            help_text=_("自然人填写，18位"))
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False,
                                  help_text=_("法人或其他组织填写，18位"))
    phone = forms.CharField(label=_("手机号码"), max_length=20, help_text=_("作为登录账号"))
    password1 = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("至少8位，不能全是数字，不能过于常见"))
    password2 = forms.CharField(label=_("确认密码"),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        validate_phone(phone)
        if User.objects.filter(username=phone).exists() or User.objects.filter(phone=phone).exists():
            raise ValidationError(_("该手机号已注册，请直接登录。"))
        return phone

    def clean_id_no(self):
        return self.cleaned_data.get("id_no", "").strip().upper()

    def clean_credit_code(self):
        return self.cleaned_data.get("credit_code", "").strip().upper()

    def clean(self):
        data = super().clean()
        kind = data.get("applicant_type")
        if kind == ApplicantType.PERSON:
            if not is_valid_id_no(data.get("id_no", "")):
                self.add_error("id_no", _("居民身份证号码不正确（应为18位，且校验位符合GB 11643）。"))
        elif kind == ApplicantType.ORGANISATION:
            if not is_valid_credit_code(data.get("credit_code", "")):
                self.add_error("credit_code", _("统一社会信用代码不正确（应为18位，且校验位符合GB 32100）。"))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        if p1 and "phone" in data:
            probe = User(username=data["phone"], full_name=data.get("name", ""), phone=data["phone"])
            try:
                password_validation.validate_password(p1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class LoginForm(PortalForm):
    phone = forms.CharField(label=_("手机号码或账号"), max_length=150,
                            widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        digits = normalise_phone(value)
        return digits if digits.isdigit() else value


class ApplicationForm(PortalForm):
    """The application form of an item. Drafts may be incomplete; ``for_submit`` makes the fields required."""

    applicant_type = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantType.choices,
                                       widget=forms.RadioSelect)
    applicant_name = forms.CharField(label=_("申请人姓名或单位名称"), max_length=128, required=False)
    id_no = forms.CharField(label=_("证件号码"), max_length=32, required=False,
                            help_text=_("自然人填居民身份证号码，单位填统一社会信用代码"))
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("联系地址"), max_length=255, required=False)
    description = forms.CharField(label=_("申请事项说明"), max_length=4000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}),
                                  help_text=_("请简要说明申请的内容和理由"))

    def __init__(self, *args, for_submit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.for_submit = for_submit
        if for_submit:
            for name in ("applicant_name", "contact_phone"):
                self.fields[name].required = True

    def clean_contact_phone(self):
        phone = normalise_phone(self.cleaned_data.get("contact_phone", ""))
        if phone and "*" not in phone:
            validate_phone(phone)
        return phone

    def clean(self):
        data = super().clean()
        id_no = (data.get("id_no") or "").strip().upper()
        if id_no and "*" not in id_no:
            if data.get("applicant_type") == ApplicantType.ORGANISATION:
                if not is_valid_credit_code(id_no):
                    self.add_error("id_no", _("统一社会信用代码不正确（应为18位，且校验位符合GB 32100）。"))
            elif not is_valid_id_no(id_no):
                self.add_error("id_no", _("居民身份证号码不正确（应为18位，且校验位符合GB 11643）。"))
        data["id_no"] = id_no
        return data


class QueryForm(PortalForm):
    case_no = forms.CharField(label=_("办件编号"), max_length=64,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    code = forms.CharField(label=_("查询码"), max_length=16, help_text=_("见受理通知书"),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_case_no(self):
        return self.cleaned_data["case_no"].strip()

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
