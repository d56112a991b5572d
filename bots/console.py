"""`frontdesk chat`: talk to the agents in a terminal, or script them through a pipe."""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import TextIO

from bots.service import Service
from handoffs.channels import InboundMessage, OutboundMessage, SendReceipt
from handoffs.language import language_from_phone
from storage.models import utcnow

CHANNEL = "console"


class ConsoleSender:
    """The console's channel sender: replies are collected for the chat loop to print."""

    channel = CHANNEL

    def __init__(self) -> None:
        self.replies: asyncio.Queue[OutboundMessage] = asyncio.Queue()

    async def send(self, message: OutboundMessage) -> SendReceipt:
        await self.replies.put(message)
        return SendReceipt(channel_message_id=f"console-out-{message.message_id}")


class ConsoleChat:
    """One customer's conversation in the terminal."""

    def __init__(self, service: Service, *, phone: str | None, language: str | None) -> None:
        self.service = service
        self.sender = ConsoleSender()
        service.switchboard.add_sender(self.sender)
        session = uuid.uuid4().hex[:8]
        self.phone = phone
        self.customer = f"console:{phone or session}"
        # The language choice acts like a phone prior; a phone number gives its own.
        self.locale = None if phone else language
        self.thread_key = f"{self.customer}:{session}"
        self.conversation_id: int | None = None
        self._handoffs_seen = 0

    async def say(self, text: str, out: TextIO) -> None:
        """Send one customer line and print every reply, handoff and language it led to."""
        stored = await self.service.switchboard.receive(
            InboundMessage(
                channel=CHANNEL,
                channel_message_id=uuid.uuid4().hex,
                sender=self.customer,
                thread_key=self.thread_key,
                text=text,
                phone=self.phone,
                locale=self.locale,
                received_at=utcnow(),
            )
        )
        self.conversation_id = stored.conversation_id
        await self.service.switchboard.drain()
        store = self.service.store
        handoffs = await store.run(store.handoffs, stored.conversation_id)
        for handoff in handoffs[self._handoffs_seen :]:
            source = handoff.from_agent or "router"
            out.write(f"  ↪ {source} → {handoff.to_agent}: {handoff.reason}\n")
        self._handoffs_seen = len(handoffs)
        while not self.sender.replies.empty():
            reply = self.sender.replies.get_nowait()
            who = reply.agent or reply.author
            out.write(f"[{who} · {reply.language}] {reply.text}\n")
        conversation = await store.run(store.conversation, stored.conversation_id)
        if conversation is not None and conversation.status != "bot":
            out.write(f"  (conversation is now {conversation.status})\n")
        out.flush()


async def run_chat(
    service: Service, *, phone: str | None, language: str | None, stdin: TextIO, out: TextIO
) -> None:
    """Read customer lines until EOF; prompt only when a person is typing."""
    chat = ConsoleChat(service, phone=phone, language=language)
    interactive = stdin.isatty()
    if interactive:
        guess = language_from_phone(phone) if phone else language
        out.write(
            f"frontdesk chat — model: {service.provider.name}; "
            f"customer {chat.customer} (language prior: {guess or 'none'}). Ctrl-D to quit.\n"
        )
    # A server may be answering other channels from the same database: resume nothing of theirs.
    await service.switchboard.start(resume=False)
    try:
        while True:
            if interactive:
                out.write("you> ")
                out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            text = line.rstrip("\n")
            if not text.strip() and not interactive:
                continue
            await chat.say(text, out)
    finally:
        await service.switchboard.close()
    if interactive:
        out.write("\n")


def main_stdin() -> TextIO:
    """Standard input, tolerant of bytes that are not UTF-8."""
    stream = sys.stdin
    if hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="replace")
    return stream
