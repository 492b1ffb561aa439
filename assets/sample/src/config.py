"""Runtime settings, read from the environment (docker compose sets them)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    secret_key: str
    app_env: str
    log_level: str

    @property
    def debug(self) -> bool:
        return self.app_env in ("development", "test")


def get_settings() -> Settings:
    return Settings(
        database_url=os.environ.get(
            "DATABASE_URL", "postgresql://ledgerly:ledgerly@localhost:5432/ledgerly_dev"
        ),
        redis_url=os.environ.get("REDIS_URL", "redis://localhost:6379/0"),
        secret_key=os.environ.get("SECRET_KEY", "insecure-dev-key"),
        app_env=os.environ.get("APP_ENV", "development"),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )


settings = get_settings()
