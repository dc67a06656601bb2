"""Feedback settings with their defaults (override any of them in settings.py or the environment).

=====================================  =========  ====================================================
setting                                default    meaning
=====================================  =========  ====================================================
XN_FEEDBACK_CONSULTATION_DAYS          3          consultation reply due, working days after receipt
XN_FEEDBACK_COMPLAINT_ACCEPT_DAYS      5          accept / decline a complaint, wd after receipt
XN_FEEDBACK_COMPLAINT_RESOLVE_DAYS     15         resolve and reply, wd after acceptance
XN_FEEDBACK_RECTIFY_DAYS               5          差评 rectification, wd after the rating
XN_FEEDBACK_RATE_LIMIT                 5          accepted submissions per form per IP and per phone ...
XN_FEEDBACK_RATE_WINDOW_SECONDS        3600       ... in this window
XN_FEEDBACK_GUESS_LIMIT                10         failed code / lookup attempts per IP per window
XN_FEEDBACK_MAX_FILES                  3          attachments per complaint
XN_FEEDBACK_MAX_FILE_BYTES             5 MiB      per attachment
=====================================  =========  ====================================================
"""

import os

from django.conf import settings

DEFAULTS = {
    "XN_FEEDBACK_CONSULTATION_DAYS": 3,
    "XN_FEEDBACK_COMPLAINT_ACCEPT_DAYS": 5,
    "XN_FEEDBACK_COMPLAINT_RESOLVE_DAYS": 15,
    "XN_FEEDBACK_RECTIFY_DAYS": 5,
    "XN_FEEDBACK_RATE_LIMIT": 5,
    "XN_FEEDBACK_RATE_WINDOW_SECONDS": 3600,
    "XN_FEEDBACK_GUESS_LIMIT": 10,
    "XN_FEEDBACK_MAX_FILES": 3,
    "XN_FEEDBACK_MAX_FILE_BYTES": 5 * 1024 * 1024,
}


def get(name: str) -> int:
    """settings.<name>, else the environment variable, else the default."""
    if hasattr(settings, name):
        return int(getattr(settings, name))
    value = os.environ.get(name, "")
    return int(value) if value.strip() else DEFAULTS[name]
