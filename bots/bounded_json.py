"""JSON from outside, with its nesting bounded before the parser recurses into it.

`json.loads` recurses once per level: a signed body of 100,000 nested brackets raises
RecursionError, which is no ValueError and used to escape as a 500. The depth is measured first,
without recursion, by skipping strings and counting brackets, and an absurd depth is refused.
Slack's deepest real payloads (rich-text lists inside blocks inside the message an interactivity
payload repeats) nest about a dozen levels, so 64 leaves room and stays far from the parser's
limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64

# A JSON string, escapes included, in the unrolled form that never backtracks.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONTooDeep(ValueError):
    """The document nests deeper than allowed."""


def depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether any bracket in `text` (outside strings) opens more than `limit` levels deep."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing documents nested deeper than `max_depth` with JSONTooDeep."""
    if depth_exceeds(text, max_depth):
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError as exc:  # not reachable after the check; kept as a second fence
        raise JSONTooDeep("JSON nested too deep") from exc
