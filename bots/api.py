"""The read-only JSON API for operators: conversations and their messages, behind a token."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel

from bots.whatsapp.phones import parse_address
from storage.models import Contact, Conversation, Message
from storage.store import Store


class MessagePublic(BaseModel):
    """One message as the API shows it."""

    id: int
    direction: str
    author: str
    agent: str | None
    text: str
    language: str | None
    status: str
    error: str | None
    created_at: datetime


class ConversationPublic(BaseModel):
    """One conversation as the API shows it."""

    id: int
    channel: str
    contact: str
    contact_name: str | None
    status: str
    active_agent: str | None
    language: str | None
    input_tokens: int
    output_tokens: int
    cost_usd: float
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationPublic):
    """A conversation with its messages, oldest first."""

    messages: list[MessagePublic]


class ConversationList(BaseModel):
    """Conversations, newest first."""

    conversations: list[ConversationPublic]


def _public(conversation: Conversation, contact: Contact) -> dict[str, object]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "contact": contact.external_id,
        "contact_name": contact.display_name,
        "status": conversation.status,
        "active_agent": conversation.active_agent,
        "language": conversation.language,
        "input_tokens": conversation.input_tokens,
        "output_tokens": conversation.output_tokens,
        "cost_usd": conversation.cost_usd,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


def _message(message: Message) -> MessagePublic:
    return MessagePublic.model_validate(message, from_attributes=True)


def api_router(store: Store, token: str | None) -> APIRouter:
    """The `/api` routes; without a token they answer 404, as if absent."""

    async def authorized(request: Request) -> None:
        if not token:
            raise HTTPException(404, "the API is disabled: set FRONTDESK_API_TOKEN to enable it")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    router = APIRouter(
        prefix="/api",
        dependencies=[Depends(authorized)],
        # Documented so that the schema says every answer a client can get.
        responses={
            401: {"description": "Missing or wrong bearer token"},
            404: {"description": "The API is disabled, or no such conversation"},
        },
    )

    @router.get("/conversations")
    async def list_conversations(
        channel: Annotated[Literal["whatsapp", "slack", "console"] | None, Query()] = None,
        contact: Annotated[str | None, Query(max_length=255)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> ConversationList:
        if contact and contact.startswith("whatsapp:"):
            # Customers' numbers are stored in one canonical form (+52 not +521, Brazil's
            # ninth digit); either form an operator pastes finds the conversation.
            contact = parse_address(contact).identity
        rows = await store.run(
            store.list_conversations, channel=channel, contact=contact, limit=limit
        )
        return ConversationList.model_validate(
            {"conversations": [_public(conversation, person) for conversation, person in rows]}
        )

    @router.get("/conversations/{conversation_id}")
    async def get_conversation(
        conversation_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    ) -> ConversationDetail:
        try:
            conversation, contact = await store.run(store.conversation_and_contact, conversation_id)
        except LookupError as exc:
            raise HTTPException(404, f"no conversation {conversation_id}") from exc
        messages = await store.run(store.messages, conversation_id)
        return ConversationDetail.model_validate(
            {**_public(conversation, contact), "messages": [_message(m) for m in messages]}
        )

    return router
