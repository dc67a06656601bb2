"""The JSON API (django-ninja), mounted at /api/v1/. Each app contributes a router."""

from xiaoneng.exchange.api import build_api

api = build_api()
