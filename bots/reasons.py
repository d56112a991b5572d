"""A payload's validation error as the one-line reason a 400 carries and the log repeats.

The reason names the field by its path in the document as sent (`event.user`, `NumMedia`) and
says what is wrong with it, but never repeats the value: a value can be a customer's number,
their text, or whatever an attacker wants written to our logs.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


def one_line(exc: ValidationError, document: Any) -> str:
    """The first problem in `exc` as `path: message` (with a count when there are more)."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    if not errors:
        return "invalid payload"
    first = errors[0]
    path = field_path(first, document)
    reason = f"{path}: {_message(first)}" if path else _message(first)
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more)"
    return reason


def field_path(error: ErrorDetails, document: Any) -> str:
    """The error's location as keys of `document`, leaving out pydantic's union tags; empty
    for the document itself."""
    parts: list[str] = []
    node = document
    for item in error["loc"]:
        if isinstance(node, dict) and isinstance(item, str) and item in node:
            parts.append(item)
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            parts.append(f"[{item}]")
            node = node[item]
        elif isinstance(node, dict) and isinstance(item, str) and error["type"] == "missing":
            parts.append(item)
            break
        # Anything else is a union member's name ("str", "Ref"), not a place in the document.
    return ".".join(parts).replace(".[", "[")


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    # A validator's own ValueError reads "Value error, <our sentence>"; keep our sentence. A
    # model's type error names the class ("… or instance of Carrier"), which says nothing here.
    return message.removeprefix("Value error, ").split(" or instance of ")[0]
