"""Settings from the environment and `.env`; every one is listed in `.env.example`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.errors import ConfigurationError
from agents.models.pricing import DEFAULT_MODELS as _MODELS
from handoffs.hours import DEFAULT_HOLIDAYS, DEFAULT_HOURS

Language = Literal["en", "es", "pt"]
Desk = Literal["sales", "support", "billing"]


class Settings(BaseSettings):
    """frontdesk's configuration. Vendor names where the vendor has one."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field("sqlite:///var/frontdesk.db", alias="DATABASE_URL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", alias="FRONTDESK_LOG_LEVEL"
    )

    model_provider: Literal["auto", "anthropic", "openai", "offline"] = Field(
        "auto", alias="FRONTDESK_MODEL_PROVIDER"
    )
    anthropic_api_key: SecretStr | None = Field(None, alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(None, alias="ANTHROPIC_BASE_URL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_api: Literal["responses", "chat"] = Field("responses", alias="FRONTDESK_OPENAI_API")
    anthropic_fast_model: str = Field(
        _MODELS["anthropic"]["fast"], alias="FRONTDESK_ANTHROPIC_FAST_MODEL"
    )
    anthropic_strong_model: str = Field(
        _MODELS["anthropic"]["strong"], alias="FRONTDESK_ANTHROPIC_STRONG_MODEL"
    )
    openai_fast_model: str = Field(_MODELS["openai"]["fast"], alias="FRONTDESK_OPENAI_FAST_MODEL")
    openai_strong_model: str = Field(
        _MODELS["openai"]["strong"], alias="FRONTDESK_OPENAI_STRONG_MODEL"
    )
    sales_model: str | None = Field(None, alias="FRONTDESK_SALES_MODEL")
    support_model: str | None = Field(None, alias="FRONTDESK_SUPPORT_MODEL")
    billing_model: str | None = Field(None, alias="FRONTDESK_BILLING_MODEL")
    anthropic_effort: Literal["default", "low", "medium", "high", "xhigh", "max"] = Field(
        "low", alias="FRONTDESK_ANTHROPIC_EFFORT"
    )
    openai_reasoning_effort: Literal[
        "default", "none", "minimal", "low", "medium", "high", "xhigh", "max"
    ] = Field("low", alias="FRONTDESK_OPENAI_REASONING_EFFORT")
    model_timeout_seconds: float = Field(
        30.0, gt=0, le=600, alias="FRONTDESK_MODEL_TIMEOUT_SECONDS"
    )
    model_max_attempts: int = Field(3, ge=1, le=10, alias="FRONTDESK_MODEL_MAX_ATTEMPTS")
    model_retry_base_seconds: float = Field(0.5, ge=0, alias="FRONTDESK_MODEL_RETRY_BASE_SECONDS")
    model_retry_max_seconds: float = Field(8.0, ge=0, alias="FRONTDESK_MODEL_RETRY_MAX_SECONDS")
    model_retry_after_max_seconds: float = Field(
        10.0, ge=0, alias="FRONTDESK_MODEL_RETRY_AFTER_MAX_SECONDS"
    )
    model_fallback: bool = Field(True, alias="FRONTDESK_MODEL_FALLBACK")
    model_fallback_cooldown_seconds: float = Field(
        30.0, ge=0, alias="FRONTDESK_MODEL_FALLBACK_COOLDOWN_SECONDS"
    )
    prices_json: str | None = Field(None, alias="FRONTDESK_PRICES_JSON")

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str = Field("https://slack.com/api/", alias="SLACK_API_URL")
    staff_slack_channel: str | None = Field(None, alias="FRONTDESK_STAFF_SLACK_CHANNEL")
    slack_send_interval_seconds: float = Field(
        1.0, ge=0, le=60, alias="FRONTDESK_SLACK_SEND_INTERVAL_SECONDS"
    )
    slack_timeout_seconds: float = Field(
        10.0, gt=0, le=120, alias="FRONTDESK_SLACK_TIMEOUT_SECONDS"
    )

    staff_slack_users: str = Field("", alias="FRONTDESK_STAFF_SLACK_USERS")
    staff_slack_mode: Literal["console", "alerts"] = Field(
        "console", alias="FRONTDESK_STAFF_SLACK_MODE"
    )
    staff_note_prefixes: str = Field("note:,nota:", alias="FRONTDESK_STAFF_NOTE_PREFIXES")
    staff_wait_minutes: int = Field(30, ge=1, le=10_080, alias="FRONTDESK_STAFF_WAIT_MINUTES")
    staff_remind_minutes: float = Field(15.0, gt=0, alias="FRONTDESK_STAFF_REMIND_MINUTES")
    business_hours: str = Field(DEFAULT_HOURS, alias="FRONTDESK_BUSINESS_HOURS")
    holidays: str = Field(DEFAULT_HOLIDAYS, alias="FRONTDESK_HOLIDAYS")
    session_secret: SecretStr | None = Field(None, alias="FRONTDESK_SESSION_SECRET")

    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_whatsapp_from: str | None = Field(None, alias="TWILIO_WHATSAPP_FROM")
    twilio_api_url: str | None = Field(None, alias="TWILIO_API_URL")
    twilio_timeout_seconds: float = Field(
        15.0, gt=0, le=120, alias="FRONTDESK_TWILIO_TIMEOUT_SECONDS"
    )
    twilio_template_content_sid: str | None = Field(None, alias="TWILIO_TEMPLATE_CONTENT_SID")
    twilio_template_variables: str = Field('{"1": "{text}"}', alias="TWILIO_TEMPLATE_VARIABLES")
    public_url: str | None = Field(None, alias="FRONTDESK_PUBLIC_URL")

    default_language: Language = Field("en", alias="FRONTDESK_DEFAULT_LANGUAGE")
    default_desk: Desk = Field("support", alias="FRONTDESK_DEFAULT_DESK")
    business_name: str = Field("Conecta", alias="FRONTDESK_BUSINESS_NAME")
    knowledge_dir: Path | None = Field(None, alias="FRONTDESK_KNOWLEDGE_DIR")
    refund_approval_limit: float = Field(50.0, ge=0, alias="FRONTDESK_REFUND_APPROVAL_LIMIT")
    api_token: SecretStr | None = Field(None, alias="FRONTDESK_API_TOKEN")

    max_cost_per_conversation_usd: float | None = Field(
        None, gt=0, alias="FRONTDESK_MAX_COST_PER_CONVERSATION_USD"
    )
    debounce_seconds: float = Field(1.5, ge=0, le=30, alias="FRONTDESK_DEBOUNCE_SECONDS")
    history_messages: int = Field(20, ge=0, le=500, alias="FRONTDESK_HISTORY_MESSAGES")
    max_input_chars: int = Field(4000, ge=100, alias="FRONTDESK_MAX_INPUT_CHARS")
    max_handoffs_per_turn: int = Field(3, ge=1, le=10, alias="FRONTDESK_MAX_HANDOFFS_PER_TURN")
    max_model_calls_per_turn: int = Field(
        8, ge=1, le=50, alias="FRONTDESK_MAX_MODEL_CALLS_PER_TURN"
    )
    send_max_attempts: int = Field(5, ge=1, le=20, alias="FRONTDESK_SEND_MAX_ATTEMPTS")
    send_retry_base_seconds: float = Field(1.0, ge=0, alias="FRONTDESK_SEND_RETRY_BASE_SECONDS")
    send_retry_max_seconds: float = Field(60.0, ge=0, alias="FRONTDESK_SEND_RETRY_MAX_SECONDS")

    # Edge limits (bots/body_limit.py, the channel payload models) and what logs may show.
    max_body_bytes: int = Field(
        1_048_576, ge=16_384, le=67_108_864, alias="FRONTDESK_MAX_BODY_BYTES"
    )
    max_message_chars: int = Field(
        40_000, ge=1_000, le=1_000_000, alias="FRONTDESK_MAX_MESSAGE_CHARS"
    )
    log_message_text: bool = Field(False, alias="FRONTDESK_LOG_MESSAGE_TEXT")
    api_docs: bool = Field(False, alias="FRONTDESK_API_DOCS")


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a bad value into one ConfigurationError naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("invalid setting " + "; ".join(problems)) from exc
