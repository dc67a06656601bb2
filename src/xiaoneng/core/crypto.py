"""Encryption and masking of personal data (个人信息保护).

ID numbers and phone numbers are stored encrypted (Fernet, key derived from ``XN_FIELD_KEY`` or SECRET_KEY)
and shown masked everywhere outside the handling department.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _fernet() -> Fernet:
    material = (settings.XN_FIELD_KEY or settings.SECRET_KEY).encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"xiaoneng-field-key:" + material).digest()))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def mask_id_no(value: str) -> str:
    """330102199001011234 → 3301**********1234; short values keep only their last character."""
    value = (value or "").strip()
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 2) + value[-1:]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; organisation names (longer than 6 characters) keep their start."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 6:
        return value[:4] + "*" * 3
    return value[0] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask_phone(value: str) -> str:
    value = (value or "").strip()
    return value[:3] + "****" + value[-4:] if len(value) >= 11 else mask_id_no(value)
