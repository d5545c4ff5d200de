"""Keep credentials out of everything we send or store: by variable name and by value pattern."""

from __future__ import annotations

import re

# Name parts (split on "_" and camelCase) that mark a credential. Whole parts only, so that
# `keys`, `monkey` or `author` stay visible while `api_key`, `dbPassword` and `AUTH_TOKEN` do not.
_SECRET_PARTS = frozenset(
    [
        "key",
        "apikey",
        "token",
        "secret",
        "secrets",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "credential",
        "credentials",
        "creds",
        "auth",
        "cookie",
        "bearer",
        "dsn",
        "privatekey",
    ]
)
_NAME_PART = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Value shapes that are credentials whatever the variable is called.
_SECRET_VALUE = re.compile(
    r"|".join(
        [
            r"AIza[0-9A-Za-z_\-]{30,}",  # Google API keys
            r"\bsk-[A-Za-z0-9_\-]{16,}",  # OpenAI/Anthropic-style keys
            r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}",  # GitHub tokens
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",  # Slack tokens
            r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key ids
            r"\bya29\.[0-9A-Za-z_\-]{20,}",  # Google OAuth access tokens
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
            r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{5,}",  # JWTs
            r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:[^\s@/]+@",  # URLs with user:password@
            r"\b(?:[Pp]assword|PASSWORD|[Pp]asswd|[Pp]wd|PWD|[Ss]ecret|SECRET|[Aa]pi[_-]?[Kk]ey"
            r"|API[_-]?KEY|[Tt]oken|TOKEN)\s*[=:]\s*\S{4,}",
        ]
    )
)

REDACTED = "<redacted>"


def is_secret_name(name: str) -> bool:
    """True for variable names that suggest a credential (``api_key``, ``db_password``...)."""
    parts = [p.lower() for p in _NAME_PART.findall(name)]
    joined = "".join(parts)
    return (
        any(p in _SECRET_PARTS or p.startswith("passw") for p in parts) or joined in _SECRET_PARTS
    )


def contains_secret(text: str) -> bool:
    """True if ``text`` holds something shaped like a credential."""
    return bool(_SECRET_VALUE.search(text))


def redact(text: str) -> str:
    """Replace every credential-shaped substring of ``text`` with ``<redacted>``."""
    return _SECRET_VALUE.sub(REDACTED, text)
