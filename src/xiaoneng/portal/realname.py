"""Real-name verification (实名核验) of applicant accounts: a pluggable step.

The setting ``XN_PORTAL_REALNAME_VERIFIER`` names a callable ``verify(user, *, name, id_no, credit_code)``
returning a :class:`Verification`. A deployment connects the province's identity service (公安人口库 /
电子营业执照 / 省统一身份认证平台) by writing such a callable. The default, :func:`no_verification`, performs
**no** check: it records the account as 未实名核验 ("unverified"), which the portal shows to the applicant and
the clerk sees on the case; it is the honest state of an instance without an identity service, not a mock.
"""

from dataclasses import dataclass

from .models import VerificationStatus


@dataclass(frozen=True)
class Verification:
    status: str  # a VerificationStatus value
    verifier: str = ""
    note: str = ""


def no_verification(user, *, name: str = "", id_no: str = "", credit_code: str = "") -> Verification:
    """Default verifier: no identity service configured; the account stays 未实名核验."""
    return Verification(VerificationStatus.UNVERIFIED, "none", "未配置实名核验服务")
