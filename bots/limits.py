"""Sizes the channels' payloads are held to, beyond the body limit and the text cap settings.

What a person chose to call themselves is kept but cut; an id that is too long is not an id,
and the request carrying it is refused.
"""

from __future__ import annotations

import unicodedata

# Display names (WhatsApp ProfileName, Slack's display name): WhatsApp allows 25 characters and
# Slack 80, so a longer one is cut, not refused, and never fills a row.
MAX_NAME_CHARS = 200
# Channel ids (Slack user, channel and team ids, Twilio SIDs) are a few dozen characters at most.
MAX_ID_CHARS = 64
# Short descriptive fields: a MIME type, a file's title, a shared location's address or label.
MAX_LABEL_CHARS = 1_000


def clip_name(name: str | None) -> str | None:
    """A display name without surrounding space, cut to MAX_NAME_CHARS; None when empty."""
    if name is None:
        return None
    # Control characters (newlines, escapes) have no place in a name shown on one line.
    cleaned = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip()
    return cleaned[:MAX_NAME_CHARS].rstrip() or None
