"""The switchboard: receive, dispatch and deliver; language, router, swarm, escalation."""
