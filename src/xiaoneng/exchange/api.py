"""Data-exchange API v1 (统一数据接口): see shared/design/exchange-api.md (binding).

``build_api()`` returns the project's NinjaAPI mounted at /api/v1/. Authentication (a source system's Bearer
key) is the API-wide default, and every error is a JSON ``{"error": {"code", "message"}}``. Other apps may
contribute routers: ``api.add_router("/prefix", router)`` (they inherit the key authentication; read the
calling system from ``request.auth``, scope it with ``xiaoneng.exchange.scoping``).
"""

from __future__ import annotations

import json
import logging

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.security import HttpBearer

from . import keys

logger = logging.getLogger("xiaoneng.exchange.api")

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "rate_limited", 500: "internal_error"}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class SystemKeyAuth(HttpBearer):
    """``Authorization: Bearer xn_<prefix>_<secret>`` → the SourceSystem (``request.auth``)."""

    openapi_description = "API key of a registered source system (接入系统): `xn_<prefix>_<secret>`"

    def authenticate(self, request: HttpRequest, token: str):
        return keys.authenticate(token.strip())


class VendoredSwagger(DocsBase):
    """Swagger UI from assets vendored in exchange/static (no CDN, works with the CSP: no inline script)."""

    def __init__(self, settings: dict | None = None):
        self.settings = {"layout": "BaseLayout", "deepLinking": True, **(settings or {})}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, "exchange/swagger.html",
                      {"swagger_settings": json.dumps(settings), "api": api})


def install_exception_handlers(api: NinjaAPI) -> None:
    def on_auth(request, exc):
        return error_response(401, "unauthorized", "missing, unknown or revoked API key",
                              {"WWW-Authenticate": 'Bearer realm="xiaoneng"'})

    def on_validation(request, exc: ValidationError):
        parts = []
        for err in exc.errors[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid")))
        return error_response(422, "invalid_request", "; ".join(parts) or "invalid request")

    def on_http_error(request, exc: HttpError):
        status = exc.status_code
        return error_response(status, ERROR_CODES.get(status, f"http_{status}"), str(exc.message))

    def on_404(request, exc):
        return error_response(404, "not_found", str(exc) or "not found")

    def on_data_error(request, exc):
        # Safety net: the parsers reject text a database cannot store before it gets there.
        logger.warning("database refused request data on %s %s: %s", request.method, request.path, exc)
        return error_response(422, "invalid_request", "the request contains data that cannot be stored")

    def on_any(request, exc):
        logger.exception("unhandled API error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error")

    api.add_exception_handler(AuthenticationError, on_auth)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
    api.add_exception_handler(DataError, on_data_error)
    api.add_exception_handler(UnicodeEncodeError, on_data_error)
    api.add_exception_handler(Exception, on_any)


def build_api() -> NinjaAPI:
    from .api_events import router as events_router
    from .api_read import router as read_router

    api = NinjaAPI(
        title="Xiaoneng data-exchange API",
        version="1",
        description="统一数据接口：部门审批系统实时报送办件事件，上级读取办件、预警与事项。",
        urls_namespace="api-v1",
        auth=SystemKeyAuth(),
        docs=VendoredSwagger(),
    )
    install_exception_handlers(api)
    api.add_router("", events_router, tags=["events"])
    api.add_router("", read_router, tags=["read"])
    return api
