from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category


class AdjustmentForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.none(), label=_("类别"))
    points = forms.DecimalField(label=_("分值（扣分为负数）"), max_digits=6, decimal_places=2,
                                min_value=Decimal("-100"), max_value=Decimal("100"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, standard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(standard=standard).order_by("order", "id")

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("分值不能为 0。"))
        return points
