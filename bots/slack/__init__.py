"""The Slack channel: Bolt behind POST /slack/events, Web API client, inbound events, sender.

`slack_bolt` and `slack_sdk` are imported only inside this package.
"""

from bots.slack.adapter import mount_slack

__all__ = ["mount_slack"]
