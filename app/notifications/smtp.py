"""RECTRACK_SMTP_URL read into what aiosmtplib needs (checked when settings load)."""

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    # smtps://: TLS from the first byte; smtp://…?starttls=true: upgraded with STARTTLS.
    use_tls: bool
    start_tls: bool


def smtp_server(url: str) -> SmtpServer:
    """Read smtp://user:pass@host:587?starttls=true or smtps://user:pass@host:465."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("expected smtp://user:password@host:port or smtps://…")
    flag = parse_qs(parts.query).get("starttls", ["false"])[-1].lower()
    if flag not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"starttls={flag!r}: expected true or false")
    use_tls = parts.scheme == "smtps"
    start_tls = not use_tls and flag in ("true", "1", "yes")
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if use_tls else 587 if start_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )
