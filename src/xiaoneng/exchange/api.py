"""Data-exchange API v1 (统一数据接口): see shared/design/exchange-api.md."""

from ninja import NinjaAPI


def build_api() -> NinjaAPI:
    return NinjaAPI(title="Xiaoneng data-exchange API", version="1", urls_namespace="api-v1")
