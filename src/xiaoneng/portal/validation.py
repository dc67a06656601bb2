"""Validators of the public forms: mobile phone, resident ID number (GB 11643), unified social credit code
(GB 32100-2015)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")

# GB 32100-2015: 18 characters from this 31-character set (no I, O, S, V, Z); the last one is a check character.
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "")


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(normalise_phone(value)):
        raise ValidationError(_("请输入11位手机号码。"), code="phone")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    value = (value or "").strip().upper()
    if len(value) != 18 or any(ch not in CREDIT_CHARSET for ch in value):
        return False
    if not value[2:8].isdigit():  # the registration authority's administrative division code
        return False
    return credit_code_check_char(value[:17]) == value[17]


def validate_credit_code(value: str) -> None:
    if not is_valid_credit_code(value):
        raise ValidationError(_("统一社会信用代码不正确（应为18位，且校验位符合GB 32100）。"), code="credit_code")


def is_valid_id_no(value: str) -> bool:
    value = (value or "").strip().upper()
    if not re.match(r"^\d{17}[\dX]$", value):
        return False
    total = sum(int(ch) * w for ch, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def validate_id_no(value: str) -> None:
    if not is_valid_id_no(value):
        raise ValidationError(_("居民身份证号码不正确（应为18位，且校验位符合GB 11643）。"), code="id_no")
