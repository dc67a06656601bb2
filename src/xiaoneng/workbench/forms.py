"""Workbench forms (labels in Chinese via gettext)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import ApplicantType
from xiaoneng.catalog.models import HandlingType, Item, VersionStatus

from .services import DELIVERY_METHODS, SPECIAL_REASONS


def items_for_departments(department_ids, handling_types=None):
    qs = Item.objects.filter(is_active=True, current_version__status=VersionStatus.PUBLISHED)
    if department_ids is not None:
        qs = qs.filter(department_id__in=department_ids)
    if handling_types:
        qs = qs.filter(current_version__handling_type__in=handling_types)
    return qs.select_related("department", "current_version").order_by("department__code", "code")


class ApplicationForm(forms.Form):
    item = forms.ModelChoiceField(label=_("申办事项"), queryset=Item.objects.none(), empty_label=_("请选择事项"))
    applicant_type = forms.ChoiceField(label=_("申请人类型"), choices=ApplicantType.choices)
    applicant_name = forms.CharField(label=_("申请人（单位）名称"), max_length=128)
    id_no = forms.CharField(label=_("证件号码"), max_length=32,
                            help_text=_("身份证号或统一社会信用代码，加密保存"))
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    materials = forms.TypedMultipleChoiceField(label=_("已收取材料"), coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items if items is not None else Item.objects.none()
        raw = self.data.get(self.add_prefix("item")) if self.is_bound else self.initial.get("item")
        pk = getattr(raw, "pk", raw)
        item = self.fields["item"].queryset.filter(pk=pk).first() if str(pk or "").isdigit() else None
        self.version = item.current_version if item else None
        materials = list(self.version.materials.all()) if self.version else []
        self.fields["materials"].choices = [
            (m.pk, f"{m.name}（{m.form}{'，必需' if m.required else ''}）") for m in materials
        ]

    def clean_id_no(self):
        return self.cleaned_data["id_no"].strip().upper()


class RegisterForm(ApplicationForm):
    channel = forms.ChoiceField(label=_("申报渠道"), choices=[("window", _("窗口")), ("online", _("网上"))],
                                initial="window")


class InstantForm(ApplicationForm):
    document_no = forms.CharField(label=_("文书（证照）编号"), max_length=64, required=False)
    method = forms.ChoiceField(label=_("送达方式"), choices=DELIVERY_METHODS, initial="window")
    fees = forms.MultipleChoiceField(label=_("收费项目（按公示标准）"), required=False,
                                     widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fees = list(self.version.fees.all()) if self.version else []
        self.fields["fees"].choices = [(f.code, f"{f.name} {f.amount} 元") for f in fees]


class AgentForm(ApplicationForm):
    note = forms.CharField(label=_("备注"), max_length=255, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class CorrectionForm(forms.Form):
    materials = forms.CharField(
        label=_("需补正的全部材料（每行一项）"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
        help_text=_("一次性告知：请一次列明全部需补正的材料，同一申请只能告知一次。"))
    note = forms.CharField(label=_("补正要求说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                           max_length=1000)

    def material_list(self) -> list[str]:
        lines = self.cleaned_data["materials"].replace("；", "\n").replace(";", "\n").splitlines()
        return [line.strip(" 、,，.").strip() for line in lines if line.strip(" 、,，.").strip()]


class StepForm(forms.Form):
    step = forms.CharField(max_length=32, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("办理意见"), choices=[("pass", _("通过")), ("return", _("退回上一环节"))])
    opinion = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              max_length=1000)


class SpecialStartForm(forms.Form):
    reason = forms.ChoiceField(label=_("特别程序事由（行政许可法第45条）"), choices=SPECIAL_REASONS)
    workdays = forms.IntegerField(label=_("申请时限（工作日）"), min_value=1, max_value=365)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)


class SpecialEndForm(forms.Form):
    result = forms.CharField(label=_("特别程序结果"), max_length=1000)


class ExtensionForm(forms.Form):
    workdays = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class ExtensionDecisionForm(forms.Form):
    approve = forms.ChoiceField(label=_("审批"), choices=[("1", _("批准延期")), ("0", _("不批准"))])
    note = forms.CharField(label=_("审批意见"), required=False, max_length=255)


class FeeForm(forms.Form):
    fee_code = forms.CharField(label=_("收费项目"), max_length=32)


class DecisionForm(forms.Form):
    result = forms.ChoiceField(label=_("办理结果"), choices=[("approved", _("准予许可")), ("denied", _("不予许可"))])
    reason = forms.CharField(label=_("理由（不予许可时必填）"), widget=forms.Textarea(attrs={"rows": 2}),
                             required=False, max_length=1000)
    document_no = forms.CharField(label=_("决定文书编号"), max_length=64, required=False)
    opinion = forms.CharField(label=_("决定意见"), required=False, max_length=1000)


class DeliveryForm(forms.Form):
    method = forms.ChoiceField(label=_("送达方式"), choices=DELIVERY_METHODS)


class ForwardForm(forms.Form):
    opinion = forms.CharField(label=_("上报意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


INSTANT_TYPES = [HandlingType.INSTANT]
NON_INSTANT_TYPES = [HandlingType.PROMISED, HandlingType.REPORT, HandlingType.JOINT]
