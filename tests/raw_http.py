"""A bare HTTP/1.1 client that streams a request body and stops when the server answers.

httpx sends the whole body before it reads a response, so it cannot show a server refusing a
body part way through. This one writes the head, then the body in 64 KiB pieces, while it
waits (bounded) for the status line; once that arrives (or the server hangs up) it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

CHUNK = 65_536
WAIT_SECONDS = 60


async def post(
    base_url: str,
    path: str,
    *,
    body: bytes | None = None,
    size: int = 0,
    chunked: bool = False,
    declared: int | None = None,
    headers: dict[str, str] | None = None,
    ignore_answer: bool = False,
) -> tuple[int, int]:
    """POST `body` (or `size` filler bytes) and return (status, bytes of body written).

    `chunked` uses Transfer-Encoding: chunked; otherwise Content-Length is `declared` or the
    body's length. With `declared` and no body, only the head is sent. With `ignore_answer`
    the whole body is sent even after the answer came, as an attacker would (until the server
    hangs up).
    """
    target = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    total = len(body) if body is not None else size
    head = [f"POST {path} HTTP/1.1", f"Host: {target.netloc}"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
    else:
        head.append(f"Content-Length: {declared if declared is not None else total}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    written = 0

    async def send() -> None:
        nonlocal written
        for piece in _pieces(body, total):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            written += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        status_line = await asyncio.wait_for(reader.readline(), WAIT_SECONDS)
        if ignore_answer:
            with contextlib.suppress(ConnectionError):
                await asyncio.wait_for(sender, WAIT_SECONDS)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await sender
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    assert status_line, "the server closed the connection without answering"
    return int(status_line.split()[1]), written


def _pieces(body: bytes | None, total: int) -> Iterator[bytes]:
    if body is not None:
        for start in range(0, total, CHUNK):
            yield body[start : start + CHUNK]
        return
    filler = b"x" * CHUNK
    for start in range(0, total, CHUNK):
        yield filler[: min(CHUNK, total - start)]
