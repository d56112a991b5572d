"""Slack channel (placeholder until the Slack adapter lands)."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from bots.service import Service

log = logging.getLogger(__name__)


def mount_slack(app: FastAPI, service: Service) -> None:
    """Add POST /slack/events when Slack is configured."""
    log.info("Slack: not available in this build")
