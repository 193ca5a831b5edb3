"""Shared fixtures: an in-process client for the API, and the optional torch reference."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.main import app


@pytest.fixture(scope="session")
def client() -> TestClient:
    with TestClient(app) as test_client:
        yield test_client


def strict_json(text: str):
    """Parse JSON refusing NaN and Infinity, as a strict client would."""

    def refuse(token: str):
        raise ValueError(f"non-finite number {token} in JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="session")
def torch():
    """torch in float64, or a clean skip where it is not installed (it is optional)."""
    torch = pytest.importorskip("torch", reason="torch is optional; the comparison needs it")
    torch.set_default_dtype(torch.float64)
    return torch
