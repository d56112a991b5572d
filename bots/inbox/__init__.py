"""The staff web inbox and the playground: server-rendered pages over the staff desk."""

from bots.inbox.mount import mount_inbox

__all__ = ["mount_inbox"]
