"""WhatsApp channel through Twilio (placeholder until the WhatsApp adapter lands)."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from bots.service import Service

log = logging.getLogger(__name__)


def mount_whatsapp(app: FastAPI, service: Service) -> None:
    """Add POST /whatsapp/inbound and /whatsapp/status when Twilio is configured."""
    log.info("WhatsApp: not available in this build")
