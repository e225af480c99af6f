"""Settings read from the environment (LEADFLOW_*); built on demand, never at import."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADFLOW_", extra="ignore")

    database_url: str = "sqlite:///./leadflow.db"
    secret_key: str | None = Field(default=None, repr=False)
    log_format: str = "text"  # "text" or "json"
    log_level: str = "INFO"
    base_url: str = "http://127.0.0.1:8000"
    default_country: str | None = None  # ISO 3166 alpha-2 used to read national phone numbers
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 200_000_000
    rate_limit_per_minute: int = 120  # public endpoints, per client address
    meta_verify_token: str | None = Field(default=None, repr=False)
    meta_app_secret: str | None = Field(default=None, repr=False)
    google_ads_key: str | None = Field(default=None, repr=False)  # the key set on Google Ads lead forms
    trust_proxy_headers: bool = False
    embedded_worker: bool = True
    admin_email: str = "admin@localhost"  # the first admin, created on first start when no user exists
    smtp_host: str | None = None  # outgoing mail (password resets); unset: sending fails, is logged and retried
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_from: str = "leadflow@localhost"
    smtp_starttls: bool = True
    tracking_origins: str = ""  # comma-separated origins whose pages may send /t/collect beacons (besides forms')
    predict_retrain_days: int = 7  # the predictive model is retrained from won and lost leads this often
    predict_stale_days: int = 180  # a lead this old that never went past MQL counts as lost when learning
    predict_score_minutes: int = 10  # how often the worker scores new open leads with the active model
    predict_min_auc: float = Field(default=0.65, ge=0.5, le=1.0)  # below this cross-validated AUC no predicted probability is shown (pages, API)
    email_imap_password: str | None = Field(default=None, repr=False)  # the bounce mailbox's (host, user: /settings/email)
    email_imap_port: int = 993  # the bounce mailbox over IMAP with TLS (143: plain, for a local test server)
    bench_floor: bool = False  # mounts POST /bench/floor for `make bench`; never on a real server


@lru_cache
def get_settings() -> Settings:
    return Settings()


def ensure_secret_key(settings: Settings, engine) -> str:
    """LEADFLOW_SECRET_KEY, or one generated on first start and kept in the database for every process."""
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise ValueError("LEADFLOW_SECRET_KEY must be at least 32 characters")
        return settings.secret_key
    import secrets

    from sqlalchemy import select

    from leadflow.db import InstanceSetting, insert_ignore

    with engine.begin() as conn:
        conn.execute(insert_ignore(conn, InstanceSetting, {"key": "secret_key", "value": secrets.token_urlsafe(48)},
                                   ["key"]))
        return conn.scalar(select(InstanceSetting.value).where(InstanceSetting.key == "secret_key"))
