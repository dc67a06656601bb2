"""Staff site shell: home, and error pages that never leak a stack trace."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from xiaoneng.org.scoping import acting_posts


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def _error(request, status: int, code: str, message: str):
    if _wants_json(request):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", _("请求格式不正确。"))


def permission_denied(request, exception=None):
    return _error(request, 403, "forbidden", _("您没有权限访问该页面。"))


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", _("页面不存在，或您无权查看。"))


def server_error(request):
    return _error(request, 500, "server_error", _("系统繁忙，请稍后再试。错误已记录。"))


@login_required
def home(request):
    posts = sorted({post for _, post in acting_posts(request.user)})
    return render(request, "core/home.html", {"posts": posts})
