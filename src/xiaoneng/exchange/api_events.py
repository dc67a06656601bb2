"""POST /api/v1/events: the batch ingestion endpoint (whole-request checks, then per-event results)."""

from __future__ import annotations

import json

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import Router

from . import ratelimit
from .api import error_response
from .ingest import ingest, summarize
from .schemas import EVENTS_BODY, BatchOut, ErrorOut

MAX_BODY = 5 * 1024 * 1024
MAX_EVENTS = 1000

router = Router()


@router.post(
    "/events",
    response={200: BatchOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut,
              429: ErrorOut},
    openapi_extra={"requestBody": EVENTS_BODY},
    summary="Report case events (报送办件事件)",
    operation_id="post_events",
)
def post_events(request: HttpRequest):
    """1 to 1000 events, at most 5 MiB; each accepted, duplicate or rejected on its own, in array order.
    Rejected events are kept in quarantine."""
    system = request.auth
    retry_after = ratelimit.hit(system.pk)
    if retry_after is not None:
        return error_response(429, "rate_limited", "too many requests for this source system",
                              {"Retry-After": str(retry_after)})
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return error_response(413, "too_large", "the request body exceeds 5 MiB")
    try:
        body = request.body
    except RequestDataTooBig:
        return error_response(413, "too_large", "the request body exceeds 5 MiB")
    if len(body) > MAX_BODY:
        return error_response(413, "too_large", "the request body exceeds 5 MiB")
    content_type = (request.content_type or "").lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return error_response(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        return error_response(422, "invalid_envelope", 'the body must be an object with an "events" list')
    events = document["events"]
    if not events:
        return error_response(422, "invalid_envelope", "events must contain at least one event")
    if len(events) > MAX_EVENTS:
        return error_response(422, "invalid_envelope", f"at most {MAX_EVENTS} events per request")
    outcomes = ingest(events, system=system)
    return HttpResponse(json.dumps(summarize(outcomes), ensure_ascii=False),
                        content_type="application/json; charset=utf-8")
