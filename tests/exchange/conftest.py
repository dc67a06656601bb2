"""Fixtures for the exchange API: registered systems with keys, and a JSON-posting client."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from xiaoneng.exchange.keys import create_system


@dataclass
class Api:
    client: Client
    key: str

    def headers(self, key=None):
        return {"HTTP_AUTHORIZATION": f"Bearer {key or self.key}"}

    def post(self, events=None, *, body=None, content_type="application/json", key=None):
        data = body if body is not None else json.dumps({"events": events}, ensure_ascii=False)
        return self.client.post("/api/v1/events", data=data, content_type=content_type, **self.headers(key))

    def get(self, path, key=None, **params):
        return self.client.get(path, params, **self.headers(key))


@pytest.fixture
def system_a(county):
    system, key = create_system(code="SYS-A", name="A局审批系统", department_codes=["DA"])
    system.key = key
    return system


@pytest.fixture
def system_b(county):
    system, key = create_system(code="SYS-B", name="B局审批系统", department_codes=["DB"])
    system.key = key
    return system


@pytest.fixture
def api_a(system_a):
    return Api(Client(), system_a.key)


@pytest.fixture
def api_b(system_b):
    return Api(Client(), system_b.key)


BASE = (timezone.now() - timedelta(days=3)).replace(microsecond=0)


def ts(delta_minutes: float = 0, *, base=None) -> str:
    base = base or BASE
    return (base + timedelta(minutes=delta_minutes)).astimezone(timezone.get_fixed_timezone(480)).isoformat()


def submitted(case_no, event_id=None, *, item="ITEM-DA-001", dept="DA", at=None, **extra):
    return {
        "event_id": event_id or f"{case_no}-sub", "case_no": case_no, "type": "submitted",
        "occurred_at": at or ts(0), "item_code": item, "department": dept,
        "payload": {"applicant": {"type": "person", "name": "张三", "id_no": "330122199001011234"},
                    "channel": "window"},
        **extra,
    }


def event(case_no, type_, event_id, *, at=None, payload=None, actor=None):
    return {"event_id": event_id, "case_no": case_no, "type": type_, "occurred_at": at or ts(10),
            "actor": actor or {"id": "u1", "name": "李四"}, "payload": payload or {}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The county fixture hashes ~20 passwords; argon2 makes that the bulk of each test's setup."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
