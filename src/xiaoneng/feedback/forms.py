"""Public and staff forms. Text is stored as typed (never stripped of markup) and always shown escaped."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import Item
from xiaoneng.org.models import Department, DepartmentKind, Window

from . import conf
from .models import (
    OFFLINE_DIMENSIONS,
    ONLINE_DIMENSIONS,
    TEXT_MAX,
    CallbackResult,
    ComplaintResult,
    ComplaintTarget,
    ComplaintType,
    RatingLevel,
)

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

MESSAGES = {
    "required": _("此项为必填项。"),
    "max_length": _("内容过长：最多 %(limit_value)d 个字，当前 %(show_value)d 个字。"),
    "invalid_choice": _("请从列表中选择有效的选项。"),
    "invalid": _("格式不正确。"),
}


def text(label, max_length=TEXT_MAX, required=True, rows=6, **kw):
    return forms.CharField(label=label, max_length=max_length, required=required, strip=True,
                           error_messages=MESSAGES, widget=forms.Textarea(attrs={"rows": rows,
                                                                                 "maxlength": max_length}), **kw)


def line(label, max_length=64, required=True, **kw):
    return forms.CharField(label=label, max_length=max_length, required=required, error_messages=MESSAGES, **kw)


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value or ""):
        raise ValidationError(_("请输入正确的手机号码（11位）或固定电话（区号-号码）。"))


def phone_field(required=True):
    return forms.CharField(label=_("联系电话"), max_length=20, required=required, validators=[validate_phone],
                           error_messages=MESSAGES,
                           widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))


def score_choices():
    return [(str(v), str(label)) for v, label in RatingLevel.choices]


class ChallengeForm(forms.Form):
    """Adds the arithmetic challenge field; the view checks the answer against the session."""

    challenge = forms.CharField(label=_("验证问题"), max_length=8, error_messages=MESSAGES,
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class ConsultationForm(ChallengeForm):
    department = forms.ModelChoiceField(
        label=_("咨询部门"), required=False, error_messages=MESSAGES,
        queryset=Department.objects.filter(is_active=True).exclude(kind=DepartmentKind.VILLAGE),
        empty_label=_("请选择部门"))
    item = forms.ModelChoiceField(label=_("咨询事项（可选）"), required=False, error_messages=MESSAGES,
                                  queryset=Item.objects.filter(current_version__isnull=False).order_by("code"),
                                  empty_label=_("不指定事项"))
    question = text(_("咨询内容"))
    asker_name = line(_("您的姓名"))
    phone = phone_field()
    publish_consent = forms.BooleanField(label=_("同意将本问答（不含个人信息）公开在“公开问答”中"),
                                         required=False)
    field_order = ["department", "item", "question", "asker_name", "phone", "publish_consent", "challenge"]

    def clean(self):
        data = super().clean()
        if not data.get("department") and not data.get("item") and "department" not in self.errors:
            self.add_error("department", _("请选择咨询的部门或事项。"))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A list of uploads; type, size and count are checked by the form (clean_attachments)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]


SIGNATURES = {  # extension → (content type, magic bytes)
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


def check_upload(upload) -> str:
    """The upload's content type after checking extension, magic bytes and size; ValidationError otherwise."""
    name = upload.name or ""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in SIGNATURES:
        raise ValidationError(_("附件“%(name)s”类型不支持：只能上传 PDF、JPG 或 PNG 文件。") % {"name": name})
    limit = conf.get("XN_FEEDBACK_MAX_FILE_BYTES")
    if upload.size > limit:
        raise ValidationError(_("附件“%(name)s”超过大小限制（每个不超过 %(mb)s MB）。")
                              % {"name": name, "mb": f"{limit / 1048576:g}"})
    if upload.size == 0:
        raise ValidationError(_("附件“%(name)s”是空文件。") % {"name": name})
    content_type, magics = SIGNATURES[ext]
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(m) for m in magics):
        raise ValidationError(_("附件“%(name)s”的内容与文件类型不符。") % {"name": name})
    upload.content_type = content_type
    return content_type


class ComplaintForm(ChallengeForm):
    type = forms.ChoiceField(label=_("投诉类型"), choices=[("", _("请选择"))] + ComplaintType.choices,
                             error_messages=MESSAGES)
    target = forms.ChoiceField(label=_("投诉对象"), choices=ComplaintTarget.choices, widget=forms.RadioSelect,
                               initial=ComplaintTarget.DEPARTMENT, error_messages=MESSAGES)
    case_no = line(_("办件编号"), required=False)
    query_code = line(_("办件查询码（可选，用于关联办件）"), max_length=16, required=False)
    target_department = forms.ModelChoiceField(
        label=_("被投诉部门"), required=False, error_messages=MESSAGES, empty_label=_("请选择部门"),
        queryset=Department.objects.filter(is_active=True).exclude(kind=DepartmentKind.VILLAGE))
    window = forms.ModelChoiceField(label=_("被投诉窗口"), required=False, error_messages=MESSAGES,
                                    empty_label=_("请选择窗口"),
                                    queryset=Window.objects.filter(is_active=True).select_related("hall"))
    staff_name = line(_("被投诉工作人员（姓名或工号）"), required=False)
    description = text(_("投诉内容"))
    complainant_name = line(_("您的姓名（可选）"), required=False)
    phone = phone_field()
    attachments = MultipleFileField(label=_("附件（可选，PDF/JPG/PNG，最多3个，每个不超过5MB）"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
                                    error_messages={**MESSAGES, "empty": _("附件是空文件。")})
    field_order = ["type", "target", "case_no", "query_code", "target_department", "window", "staff_name",
                   "description", "complainant_name", "phone", "attachments", "challenge"]

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        limit = conf.get("XN_FEEDBACK_MAX_FILES")
        if len(files) > limit:
            raise ValidationError(_("附件最多 %(n)d 个，您选择了 %(got)d 个。") % {"n": limit, "got": len(files)})
        errors = []
        for upload in files:
            try:
                check_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if target == ComplaintTarget.CASE and not data.get("case_no"):
            self.add_error("case_no", _("投诉办件时请填写办件编号。"))
        if target in (ComplaintTarget.DEPARTMENT, ComplaintTarget.STAFF) and not data.get("target_department"):
            self.add_error("target_department", _("请选择被投诉的部门。"))
        if target == ComplaintTarget.STAFF and not data.get("staff_name"):
            self.add_error("staff_name", _("请填写被投诉工作人员的姓名或工号。"))
        if target == ComplaintTarget.WINDOW and not data.get("window"):
            self.add_error("window", _("请选择被投诉的窗口。"))
        return data


class RatingFields(forms.Form):
    level = forms.TypedChoiceField(label=_("总体评价"), coerce=int, choices=score_choices,
                                   widget=forms.RadioSelect, error_messages=MESSAGES)
    comment = text(_("评价意见（可选；差评请说明原因，便于整改）"), required=False, rows=4)

    dimensions = ONLINE_DIMENSIONS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label in self.dimensions:
            if code == "overall":
                continue
            self.fields[f"dim_{code}"] = forms.TypedChoiceField(
                label=label, coerce=int, choices=score_choices, widget=forms.RadioSelect,
                error_messages=MESSAGES)

    def scores(self) -> dict:
        return {code: self.cleaned_data[f"dim_{code}"] for code, _ in self.dimensions if code != "overall"}


class RatingForm(RatingFields, ChallengeForm):
    case_no = line(_("办件编号"))
    rating_code = line(_("评价码（办结通知书上打印）"), max_length=16)
    phone = phone_field(required=False)
    field_order = ["case_no", "rating_code", "level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = _("联系电话（可选，用于差评回访）")
        self.order_fields(["case_no", "rating_code", "level"] + [f for f in self.fields if f.startswith("dim_")]
                          + ["comment", "phone", "challenge"])


class DeviceRatingForm(RatingFields):
    dimensions = OFFLINE_DIMENSIONS
    case = forms.IntegerField(widget=forms.HiddenInput, error_messages=MESSAGES)


class LookupForm(forms.Form):
    receipt_no = line(_("受理编号"), max_length=32)
    phone_last4 = forms.RegexField(label=_("联系电话后四位"), regex=r"^\d{4}$", max_length=4,
                                   error_messages={**MESSAGES, "invalid": _("请输入4位数字。")},
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))


# --- staff ---------------------------------------------------------------------------------------------------------


class ReplyForm(forms.Form):
    reply = text(_("答复内容"))
    publish = forms.BooleanField(label=_("公开为公开问答（咨询人已同意）"), required=False)


class NoteForm(forms.Form):
    note = text(_("说明"), required=False, rows=3)


class DeclineForm(forms.Form):
    reason = text(_("不予受理理由"), rows=3)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("承办人"), queryset=None, error_messages=MESSAGES,
                                      empty_label=_("请选择"))

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        from xiaoneng.org.models import User

        self.fields["assignee"].queryset = User.objects.filter(department=department, is_active=True)


class ResolveForm(forms.Form):
    result = forms.ChoiceField(label=_("核查结论"), choices=ComplaintResult.choices, error_messages=MESSAGES)
    reply = text(_("处理结果与答复"))


class VerifyForm(forms.Form):
    verification = text(_("核实情况"), rows=4)


class RectifyForm(forms.Form):
    rectification = text(_("整改措施（做了什么）"), rows=4)


class CallbackForm(forms.Form):
    result = forms.ChoiceField(label=_("回访结果"), choices=CallbackResult.choices, error_messages=MESSAGES)
    note = text(_("回访记录"), required=False, rows=3)


class AppealForm(forms.Form):
    reason = text(_("申诉理由（误评或恶意评价的依据）"), rows=4)


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结论"), choices=[("uphold", _("申诉成立，撤销该评价")),
                                                              ("reject", _("驳回申诉"))],
                                 widget=forms.RadioSelect, error_messages=MESSAGES)
    note = text(_("审核意见（撤销理由将永久保留）"), rows=3)
