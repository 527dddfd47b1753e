"""The one settings object of le-triage.

Read once at start-up from ``TRIAGE_*`` environment variables, an optional config file
(``TRIAGE_CONFIG_FILE``, TOML) and ``*_FILE`` variants of every secret, validated, then
passed down explicitly. Nothing else in the code reads the environment.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SECRET_FIELDS = ("imap_password", "smtp_password", "secret_key", "oncall_webhook_token")
# Settings readable from ``TRIAGE_<NAME>_FILE``: the secrets, and the database URL (it may hold a password).
FILE_FIELDS = (*SECRET_FIELDS, "database_url")


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


class _TomlFileSource(PydanticBaseSettingsSource):
    """Values from the TOML file named by TRIAGE_CONFIG_FILE (lower priority than env)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("TRIAGE_CONFIG_FILE")
        if not path:
            return {}
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        section = data.get("triage", data)
        out = {k: v for k, v in section.items() if not isinstance(v, dict) or k == "mailboxes"}
        if "mailboxes" not in out and "mailboxes" in data:  # [[mailboxes]] next to a [triage] table
            out["mailboxes"] = data["mailboxes"]
        return out


class _SecretFileSource(PydanticBaseSettingsSource):
    """``TRIAGE_<SECRET>_FILE`` reads a secret from a file (Docker/Kubernetes secrets).

    It wins over the plain variable: images set plain defaults (the container's SQLite URL)
    that a mounted secret file must be able to override.
    """

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FILE_FIELDS:
            path = os.environ.get(f"TRIAGE_{name.upper()}_FILE")
            if path:
                out[name] = Path(path).read_text(encoding="utf-8").strip()
        return out


class Settings(BaseSettings):
    """Every knob of the daemon, the web UI and the CLI."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", frozen=True, extra="ignore")

    # --- storage
    database_url: str = Field(
        "sqlite:///./triage.db",
        description="SQLAlchemy URL (sqlite or postgresql+psycopg); or TRIAGE_DATABASE_URL_FILE",
        repr=False,  # may contain the database password
    )
    data_dir: Path = Field(Path("./triage-data"), description="Raw-mail archive and demo outbox")
    auto_migrate: bool = Field(True, description="Apply Alembic migrations when run/serve/demo start")

    # --- mail source
    source: str = Field("imap", description="'imap' or 'maildir:PATH'")
    imap_host: str = Field("localhost", description="IMAP server host")
    imap_port: int = Field(993, description="IMAP server port")
    imap_user: str = Field("", description="IMAP login")
    imap_password: SecretStr = Field(SecretStr(""), description="IMAP password (or TRIAGE_IMAP_PASSWORD_FILE)")
    imap_ssl: bool = Field(True, description="Implicit TLS for IMAP")
    imap_folder: str = Field("INBOX", description="Folder watched for new mail")
    processed_folder: str = Field("Processed", description="Folder processed mail is moved to")
    mark_mode: Literal["move", "flag"] = Field("move", description="Move processed mail, or only flag it")
    poll_seconds: float = Field(60.0, description="Polling interval when IDLE is missing", gt=0)
    idle_seconds: float = Field(25 * 60, description="Re-issue IDLE after this long (< 29 min)", gt=0, le=29 * 60)
    imap_timeout: float = Field(60.0, description="Socket timeout for IMAP", gt=0)
    batch_size: int = Field(50, description="Messages fetched per batch", ge=1)

    mailboxes: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Several mailboxes: [[triage.mailboxes]] tables in the config file, each a name plus "
        "IMAP/SMTP/identity overrides (see Several mailboxes); empty: one mailbox from the settings above",
    )

    # --- outgoing mail
    smtp_host: str = Field("localhost", description="SMTP relay host")
    smtp_port: int = Field(25, description="SMTP relay port")
    smtp_user: str = Field("", description="SMTP login (empty: no auth)")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password (or TRIAGE_SMTP_PASSWORD_FILE)")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field("none", description="SMTP transport security")
    smtp_timeout: float = Field(30.0, description="SMTP socket timeout", gt=0)
    from_address: str = Field("lawenforcement@platform.example", description="Sender of acknowledgments")
    own_addresses: list[str] = Field(default_factory=list, description="Other addresses that are ours")
    outbox_dir: Path | None = Field(None, description="Write outgoing mail as .eml here instead of SMTP")
    outbox_poll_seconds: float = Field(5.0, description="How often the daemon delivers the outbox while idle", gt=0)
    outbox_max_attempts: int = Field(8, description="SMTP attempts before an outbox row fails", ge=1)
    outbox_backoff_seconds: float = Field(30.0, description="First retry delay; doubles each attempt", gt=0)
    outbox_backoff_max_seconds: float = Field(900.0, description="Longest retry delay", gt=0)
    bounce_address: str = Field("", description="Envelope MAIL FROM of outgoing mail (empty: null <>, RFC 3834)")

    # --- acknowledgment policy
    organisation: str = Field("Platform", description="Organisation name in replies and guidelines")
    ack_unverified: bool = Field(False, description="Acknowledge senders that are not verified")
    ack_rate_per_sender: int = Field(5, description="Acknowledgments per sender address per hour (0: no limit)", ge=0)
    ack_rate_per_domain: int = Field(50, description="Acknowledgments per sender domain per hour (0: no limit)", ge=0)
    ack_rate_global: int = Field(500, description="Acknowledgments an hour in all (breaker; 0: no limit)", ge=0)
    ack_guidelines_url: str = Field("", description="Public law-enforcement guidelines linked from acknowledgments")
    ack_max_age_days: int = Field(14, description="No acknowledgment for mail older than this", ge=0)

    # --- guidance for authorities (public /guidelines page, completeness notes, misdirected-mail pointers)
    guidelines_address: str = Field(
        "", description="Address authorities write to, shown on /guidelines (empty: from_address)"
    )
    guidelines_languages: list[str] = Field(
        default_factory=list, description="Languages requests are accepted in (empty: every guidance language)"
    )
    emergency_phone: str = Field("", description="Phone for emergencies (danger to life), shown in guidance")
    support_url: str = Field("", description="In-app/user support channel that misdirected user mail is pointed to")
    press_address: str = Field("", description="Press office address that press questions are pointed to")
    ack_completeness: bool = Field(
        True, description="Acknowledgments to verified authorities list missing request elements"
    )
    misdirected_pointers: bool = Field(
        False, description="Answer clearly misdirected mail with a pointer to the right channel instead of an ack"
    )
    max_message_bytes: int = Field(
        50 * 1024 * 1024, description="Larger messages are archived; only their headers are parsed", gt=0
    )
    trusted_authserv_id: str = Field("mx1.platform.example", description="Our MTA's Authentication-Results id")
    secret_key: SecretStr = Field(SecretStr("change-me"), description="Signs Message-IDs, sessions, CSRF tokens")

    # --- extraction
    use_spacy: bool = Field(True, description="Use installed spaCy pipelines when present")
    extract_workers: int = Field(
        1, ge=0, le=16,
        description="Processes running extraction beside the daemon (pipelined with filing); 0: in the daemon itself",
    )
    max_text_chars: int = Field(200_000, description="Text fed to NLP per message", gt=0)
    max_html_chars: int = Field(1_000_000, description="HTML (markup included) fed to NLP per message", gt=0)

    # --- parsing limits (a message over one is still filed, flagged with the limit it hit)
    max_mime_parts: int = Field(1000, description="MIME parts read per message; later parts are skipped", gt=0)
    max_mime_depth: int = Field(25, description="MIME nesting (multipart, message/rfc822) read per message", gt=0)
    max_header_count: int = Field(1000, description="Header fields read per message", gt=0)
    max_header_chars: int = Field(64 * 1024, description="Longer header values are cut to this many chars", gt=0)
    max_attachments: int = Field(100, description="Attachments decoded per message; the rest are skipped", ge=0)
    max_attachment_bytes: int = Field(
        40 * 1024 * 1024, description="Total decoded attachment bytes kept per message (never decompressed)", ge=0
    )
    max_body_chars: int = Field(2_000_000, description="Text and HTML body chars kept per message", gt=0)

    # --- web
    web_host: str = Field("127.0.0.1", description="Review UI bind address")
    web_port: int = Field(8080, description="Review UI port")
    base_url: str = Field("http://127.0.0.1:8080", description="Public URL of the review UI (links in pages)")
    secure_cookies: bool = Field(False, description="Mark cookies Secure (enable behind HTTPS)")
    web_metrics: bool = Field(
        True, description="Serve unauthenticated /metrics (counts only) on the review UI port; off: 404"
    )

    # --- paging
    oncall_email: str = Field("", description="Email address paged for emergencies")
    oncall_webhook: str = Field("", description="Webhook URL POSTed for emergencies")
    oncall_webhook_token: SecretStr = Field(SecretStr(""), description="Bearer token for the webhook")
    oncall_repeat_minutes: int = Field(15, description="Page again if nobody picked the ticket up", ge=1)
    oncall_deadline_hours: int = Field(48, description="Page for statutory deadlines this close to receipt", ge=0)

    # --- ops
    metrics_port: int = Field(0, description="Daemon Prometheus port (0: off)", ge=0)
    retention_days: int = Field(0, description="Purge raw mail of tickets closed longer ago (0: never)", ge=0)
    retention_interval_seconds: float = Field(
        3600.0, description="How often the mailbox leader purges expired raw mail (with retention_days > 0)", gt=0
    )
    log_format: Literal["auto", "json", "text"] = Field("auto", description="Log format")
    log_level: str = Field("INFO", description="Log level")
    health_outbox_max_failing_minutes: int = Field(
        60, description="healthcheck fails when an outgoing mail has been failing this long (0: never)", ge=0
    )
    leader_retry_seconds: float = Field(
        2.0, description="How often a follower replica tries to take over a mailbox's leadership", gt=0
    )

    # --- OAuth2 (XOAUTH2) instead of passwords, e.g. Microsoft 365 or Google Workspace
    imap_oauth2_token_file: Path | None = Field(None, description="File holding the IMAP OAuth2 bearer token")
    imap_oauth2_token_command: str = Field("", description="Command printing the IMAP OAuth2 bearer token")
    smtp_oauth2_token_file: Path | None = Field(None, description="File holding the SMTP OAuth2 bearer token")
    smtp_oauth2_token_command: str = Field("", description="Command printing the SMTP OAuth2 bearer token")
    oauth2_command_timeout: float = Field(30.0, description="Seconds a token command may run", gt=0)

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:// or postgresql+psycopg://")
        return v

    @field_validator("mailboxes")
    @classmethod
    def _mask_mailbox_secrets(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Passwords inside mailbox tables become SecretStr so no listing or log shows them."""
        return [
            {k: SecretStr(str(x)) if k.endswith("password") and not isinstance(x, SecretStr) else x
             for k, x in m.items()}
            for m in v
        ]

    @field_validator("source")
    @classmethod
    def _check_source(cls, v: str) -> str:
        if v != "imap" and not v.startswith("maildir:"):
            raise ValueError("must be 'imap' or 'maildir:PATH'")
        return v

    @model_validator(mode="after")
    def _check_smtp_port(self) -> Settings:
        if not 0 < self.smtp_port < 65536 or not 0 < self.imap_port < 65536:
            raise ValueError("ports must be between 1 and 65535")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            _SecretFileSource(settings_cls),
            env_settings,
            _TomlFileSource(settings_cls),
        )

    @property
    def maildir_path(self) -> Path | None:
        return Path(self.source.split(":", 1)[1]) if self.source.startswith("maildir:") else None

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    def ours(self) -> set[str]:
        """Every address this deployment sends from or receives at, lowercased."""
        return set(self.our_addresses())

    def our_addresses(self) -> frozenset[str]:
        """``ours()`` unchangeable, built once per set of addresses (the reply rules ask for it per mail)."""
        return _our_addresses(self.from_address, self.imap_user, tuple(self.own_addresses))


@lru_cache(maxsize=64)
def _our_addresses(from_address: str, imap_user: str, own_addresses: tuple[str, ...]) -> frozenset[str]:
    """Keyed by the addresses themselves: settings changed in place, or copied, are looked up afresh."""
    return frozenset(a.lower() for a in [from_address, imap_user, *own_addresses] if "@" in a)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings or raise SettingsError with one line naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "TRIAGE_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else "settings"
        raise SettingsError(f"invalid setting {name}: {err['msg']}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read configuration: {exc}") from None
