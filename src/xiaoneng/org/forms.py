"""Forms of the department administrator's staff management (分级管理、逐级授权)."""

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from .models import Department, Hall, Post, PostAssignment, User, UserKind, Window

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# Posts only a superuser grants: department administrators are appointed from above (逐级授权).
SUPERUSER_ONLY_POSTS = {Post.DEPT_ADMIN}


class _ScopedMixin:
    """Limits department choices to the departments the acting user administers (None = all)."""

    def scope(self, departments_qs, actor):
        self.actor = actor
        self.fields["department"].queryset = departments_qs


class StaffCreateForm(_ScopedMixin, forms.ModelForm):
    password1 = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=False), strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput(render_value=False), strip=False)

    class Meta:
        model = User
        fields = ["username", "full_name", "department", "phone", "email"]

    def __init__(self, *args, departments=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(departments, actor)
        self.fields["department"].required = True
        self.fields["full_name"].required = True

    def clean_phone(self):
        return self.cleaned_data.get("phone") or None

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif p1:
            try:
                password_validation.validate_password(p1, self.instance)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data

    def save(self, commit=True):
        user = super().save(commit=False)
        user.kind = UserKind.STAFF
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class StaffEditForm(_ScopedMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "department", "phone", "email"]

    def __init__(self, *args, departments=None, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(departments, actor)
        self.fields["department"].required = True
        self.fields["full_name"].required = True

    def clean_phone(self):
        return self.cleaned_data.get("phone") or None


class PostAssignmentForm(_ScopedMixin, forms.ModelForm):
    class Meta:
        model = PostAssignment
        fields = ["department", "post", "hall", "window", "substitute", "away_from", "away_until"]
        widgets = {"away_from": DATETIME_WIDGET, "away_until": DATETIME_WIDGET}

    def __init__(self, *args, departments=None, actor=None, holder=None, substitutes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope(departments, actor)
        self.holder = holder
        for name in ("away_from", "away_until"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["substitute"].queryset = substitutes
        self.fields["substitute"].help_text = _("B岗：岗位人员外出期间由其代为办理（须为同一部门人员）。")
        self.fields["hall"].queryset = Hall.objects.order_by("level", "name")
        self.fields["window"].queryset = Window.objects.select_related("hall").order_by("hall__name", "number")
        if not (actor and actor.is_superuser) and not self.instance.pk:
            self.fields["post"].choices = [(value, label) for value, label in self.fields["post"].choices
                                           if value not in SUPERUSER_ONLY_POSTS]
        if self.instance.pk:
            # the post itself is fixed once granted; revoke and grant anew to change it
            self.fields["department"].disabled = True
            self.fields["post"].disabled = True

    def clean(self):
        data = super().clean()
        department: Department | None = data.get("department")
        post = data.get("post")
        substitute = data.get("substitute")
        window = data.get("window")
        if department and post and self.holder is not None:
            clash = PostAssignment.objects.filter(user=self.holder, department=department, post=post)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("post", _("该人员在此部门已有该岗位。"))
        if substitute is not None:
            if self.holder is not None and substitute.pk == self.holder.pk:
                self.add_error("substitute", _("B岗人员不能是岗位人员本人。"))
            elif department and substitute.department_id != department.id:
                self.add_error("substitute", _("B岗人员必须是同一部门的工作人员。"))
        if window is not None and data.get("hall") and window.hall_id != data["hall"].id:
            self.add_error("window", _("窗口不属于所选大厅。"))
        if window is not None and not data.get("hall"):
            data["hall"] = window.hall
        away_from, away_until = data.get("away_from"), data.get("away_until")
        if away_until and not away_from:
            self.add_error("away_from", _("请填写外出开始时间。"))
        if away_from and away_until and away_until <= away_from:
            self.add_error("away_until", _("外出结束时间必须晚于开始时间。"))
        return data
