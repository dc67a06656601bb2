"""A simple server-side arithmetic challenge (no external captcha): the answer lives only in the session.

Each form has its own slot; the answer is single-use (popped when checked) and a new question is issued on
every render.
"""

import secrets

SESSION_PREFIX = "xn_feedback_challenge:"


def issue(request, form_name: str) -> str:
    a = secrets.randbelow(9) + 1
    b = secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        a, b = max(a, b) + 10, min(a, b)
        question, answer = f"{a} − {b} = ?", a - b
    else:
        question, answer = f"{a} + {b} = ?", a + b
    request.session[SESSION_PREFIX + form_name] = answer
    return question


def check(request, form_name: str, given) -> bool:
    expected = request.session.pop(SESSION_PREFIX + form_name, None)
    if expected is None:
        return False
    try:
        return int(str(given).strip()) == int(expected)
    except (TypeError, ValueError):
        return False


def expected(request, form_name: str):
    """The current answer (tests and the kiosk use it)."""
    return request.session.get(SESSION_PREFIX + form_name)
