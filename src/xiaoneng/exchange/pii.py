"""Personal data in quarantined raw events: the applicant's ID number is kept encrypted
(``applicant.id_no_cipher``) rather than in clear, and restored only when the event is replayed."""

from __future__ import annotations

from typing import Any

from xiaoneng.core import crypto


def protect(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    payload = raw.get("payload")
    applicant = payload.get("applicant") if isinstance(payload, dict) else None
    if not isinstance(applicant, dict) or not isinstance(applicant.get("id_no"), str) or not applicant["id_no"]:
        return raw
    applicant = {k: v for k, v in applicant.items() if k != "id_no"}
    applicant["id_no_cipher"] = crypto.encrypt(raw["payload"]["applicant"]["id_no"])
    return {**raw, "payload": {**payload, "applicant": applicant}}


def unprotect(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    payload = raw.get("payload")
    applicant = payload.get("applicant") if isinstance(payload, dict) else None
    if not isinstance(applicant, dict) or "id_no_cipher" not in applicant:
        return raw
    applicant = dict(applicant)
    cipher = applicant.pop("id_no_cipher")
    if "id_no" not in applicant:  # an administrator may have typed a corrected number in clear
        applicant["id_no"] = crypto.decrypt(cipher) if isinstance(cipher, str) else ""
    return {**raw, "payload": {**payload, "applicant": applicant}}
