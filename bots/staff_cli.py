"""`frontdesk staff add|list|remove` and `frontdesk handback`: staff accounts and the CLI's
hand on the ownership state machine."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

from bots.inbox.passwords import MIN_PASSWORD, hash_password

if TYPE_CHECKING:
    from storage.store import Store

CLI_ACTOR_REF = "cli"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `staff` and `handback` on the `frontdesk` parser."""
    staff = commands.add_parser("staff", help="staff accounts for the web inbox")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_commands.add_parser(
        "add", help="create an account; the password is read from stdin when it is not a terminal"
    )
    add.add_argument("email")
    add.add_argument("--name", help="how customers and colleagues see this person")
    add.add_argument("--slack-user", help="their Slack user id (UXXXX), to link both desks")
    staff_commands.add_parser("list", help="list the accounts")
    remove = staff_commands.add_parser("remove", help="delete an account")
    remove.add_argument("email")

    handback = commands.add_parser("handback", help="return an escalated conversation to the bot")
    handback.add_argument("conversation_id", type=int)


def run_staff(store: Store, args: argparse.Namespace, *, stdin: TextIO = sys.stdin) -> int:
    """Carry out one `frontdesk staff …` command."""
    from storage.accounts import AccountExistsError

    if args.staff_command == "list":
        for member in store.list_staff():
            slack = f"  slack:{member.slack_user_id}" if member.slack_user_id else ""
            print(f"{member.email}  {member.name}{slack}")
        return 0
    if args.staff_command == "remove":
        if not store.remove_staff(args.email):
            print(f"frontdesk: no account for {args.email}", file=sys.stderr)
            return 1
        print(f"removed {args.email.strip().lower()}")
        return 0
    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        print(f"frontdesk: {email!r} is not an email address", file=sys.stderr)
        return 2
    password = _read_password(stdin)
    if len(password) < MIN_PASSWORD:
        print(f"frontdesk: the password needs {MIN_PASSWORD} characters or more", file=sys.stderr)
        return 2
    name = (args.name or email.split("@", 1)[0]).strip()[:100]
    try:
        member = store.add_staff(
            email, name, password_hash=hash_password(password), slack_user_id=args.slack_user
        )
    except AccountExistsError as exc:
        print(f"frontdesk: {exc}", file=sys.stderr)
        return 1
    print(f"added {member.email} ({member.name}); sign in at /inbox")
    return 0


def run_handback(store: Store, conversation_id: int) -> int:
    """Resolve an escalated conversation from the command line."""
    from handoffs.ownership import Ownership
    from storage.staff import Actor

    ownership = Ownership(store, wake_outbox=lambda _conversation_id: None)
    actor = Actor(ref=CLI_ACTOR_REF, name="frontdesk handback")
    if asyncio.run(ownership.resolve(conversation_id, actor)) is None:
        print(f"frontdesk: no escalated conversation {conversation_id}", file=sys.stderr)
        return 1
    print(f"conversation {conversation_id} is back with the bot")
    return 0


def _read_password(stdin: TextIO) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            print("frontdesk: the passwords differ", file=sys.stderr)
            return ""
        return first
    return stdin.readline().rstrip("\r\n")
