"""Ledgerly API entry point: `uvicorn src.main:app`."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from src.config import settings

logging.basicConfig(level=settings.log_level.upper())
logger = logging.getLogger("ledgerly")

app = FastAPI(title="Ledgerly", version="0.1.0", debug=settings.debug)


@app.get("/health")
def health() -> dict[str, str]:
    """Liveness probe used by docker compose and the Makefile."""
    return {"status": "ok"}


@app.get("/")
def root() -> dict[str, str]:
    return {"name": "ledgerly", "environment": settings.app_env}
