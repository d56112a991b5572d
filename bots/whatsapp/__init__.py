"""WhatsApp through Twilio: webhooks, inbound parsing, status callbacks, sender, phone identity.

`twilio` is imported only inside this package.
"""

from bots.whatsapp.adapter import WhatsAppChannel, mount_whatsapp

__all__ = ["WhatsAppChannel", "mount_whatsapp"]
