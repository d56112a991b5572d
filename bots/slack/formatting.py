"""Text between agents and Slack: Markdown to mrkdwn, long replies split, Slack text to plain.

Slack's mrkdwn is not Markdown: bold is `*x*`, italics `_x_`, links `<url|label>`, and `&`, `<`,
`>` must be escaped. Code spans and fenced blocks are left as they are (escaped only).
"""

from __future__ import annotations

import re

# Slack accepts up to 40,000 characters but recommends at most 4,000 per message; stay below.
MAX_MESSAGE_CHARS = 3500

_FENCE = re.compile(r"(```.*?(?:```|\Z))", re.DOTALL)
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BULLET = re.compile(r"^(\s*)[-*+]\s+", re.MULTILINE)
_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$", re.MULTILINE)

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SLACK_MENTION = re.compile(r"<([@#!])([^|>]+)(?:\|([^>]+))?>")


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_mrkdwn(markdown: str) -> str:
    """Convert an agent's Markdown reply into Slack mrkdwn."""
    parts = _FENCE.split(markdown)
    out = []
    for index, part in enumerate(parts):
        # split() with one capturing group puts the fenced blocks at odd positions.
        out.append(escape(part) if index % 2 else _convert_prose(part))
    return "".join(out)


def _convert_prose(text: str) -> str:
    pieces = _CODE_SPAN.split(text)
    return "".join(
        escape(piece) if index % 2 else _convert_inline(escape(piece))
        for index, piece in enumerate(pieces)
    )


def _convert_inline(text: str) -> str:
    text = _RULE.sub("", text)
    # A heading becomes bold: written as Markdown bold here, converted with the rest below.
    text = _HEADING.sub(lambda m: "**" + m.group(1).replace("**", "") + "**", text)
    text = _BULLET.sub(lambda m: f"{m.group(1)}• ", text)
    # Italics first, so that the `*x*` produced for bold is not turned into `_x_` afterwards.
    text = _ITALIC_STAR.sub(lambda m: f"_{m.group(1)}_", text)
    text = _BOLD.sub(lambda m: f"*{m.group(1)}*", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut text into pieces of at most `limit` characters at paragraph, line or word breaks.

    A code block cut in two is closed at the end of one piece and reopened in the next.
    """
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    while len(text) > limit:
        cut = _cut_point(text, limit - 4)  # room to close a code fence
        head, text = text[:cut].rstrip(), text[cut:].strip()
        if head.count("```") % 2:
            head += "\n```"
            text = "```\n" + text
        pieces.append(head)
    pieces.append(text)
    return [piece for piece in pieces if piece]


def _cut_point(text: str, limit: int) -> int:
    window = text[:limit]
    for separator in ("\n\n", "\n", " "):
        position = window.rfind(separator)
        if position > limit // 2:
            return position + len(separator)
    return limit


def to_plain(text: str, *, bot_user_id: str | None = None) -> str:
    """What a person wrote in Slack, as plain text for the agents (our own mention removed)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", text)
    text = _SLACK_LINK.sub(_plain_link, text)
    text = _SLACK_MENTION.sub(lambda m: m.group(3) or f"{m.group(1)}{m.group(2)}", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _plain_link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    address = url.removeprefix("mailto:")
    return f"{label} ({address})" if label and label != address else address
