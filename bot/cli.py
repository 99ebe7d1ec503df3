"""The ``certquest`` command line: run the bot, manage the database and the question bank."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.logs import configure_logging
from bot.core.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)

# help text about the token, not a token
TOKEN_HELP = (
    "DISCORD_TOKEN is not set. Create a bot at https://discord.com/developers/applications, "  # noqa: S105
    "copy its token into .env as DISCORD_TOKEN=... (see README, 'Create the Discord "
    "application'), then run `certquest run` again."
)


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="certquest", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="start the bot (upgrades and seeds a SQLite database first)")
    sub.add_parser("sync", help="sync slash commands globally (deliberate: it burns rate limit)")

    db = sub.add_parser("db", help="database schema and seeds").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="upgrade the schema to the newest revision")
    down = db.add_parser("downgrade", help="downgrade the schema")
    down.add_argument("revision", nargs="?", default="-1", help="target (default: one step)")
    db.add_parser("seed", help="insert or update achievements, avatars and the question bank")

    q = sub.add_parser("questions", help="question bank").add_subparsers(
        dest="q_command", required=True
    )
    imp = q.add_parser("import", help="validate and import a question CSV")
    imp.add_argument("file", type=Path)
    exp = q.add_parser("export", help="export questions as CSV")
    exp.add_argument("--exam", choices=["a1101", "a1102", "network", "security"])
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    q.add_parser("stats", help="question counts per exam and domain")

    rem = sub.add_parser("reminders", help="daily streak reminders").add_subparsers(
        dest="r_command", required=True
    )
    sweep = rem.add_parser("sweep", help="run one reminder sweep now")
    sweep.add_argument("--now", type=dt.datetime.fromisoformat, help="ISO time (default: now)")
    sweep.add_argument("--dry-run", action="store_true", help="list who would be reminded")

    health = sub.add_parser(
        "health", help="exit 0 if the running bot touched HEALTH_FILE recently (a healthcheck)"
    )
    health.add_argument(
        "--max-age",
        type=float,
        default=60.0,
        help="seconds the heartbeat may be old (default 60; the bot touches it every 30)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        _err(str(exc))
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        return asyncio.run(_dispatch(args, settings))
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import commands_cli as c
    from bot.features import register

    register()  # every process (bot, reminder sweep, CLI) wires the features the same way

    if args.command == "run":
        if not settings.discord_token:
            _err(TOKEN_HELP)
            return 2
        return await c.run_bot(settings)
    if args.command == "sync":
        if not settings.discord_token:
            _err(TOKEN_HELP)
            return 2
        return await c.sync_commands(settings)
    if args.command == "db":
        if args.db_command == "upgrade":
            return await c.db_upgrade(settings)
        if args.db_command == "downgrade":
            return await c.db_downgrade(settings, args.revision)
        return await c.db_seed(settings)
    if args.command == "questions":
        if args.q_command == "import":
            return await c.questions_import(settings, args.file)
        if args.q_command == "export":
            return await c.questions_export(settings, args.exam, args.output)
        return await c.questions_stats(settings)
    if args.command == "reminders":
        return await c.reminders_sweep(settings, args.now, args.dry_run)
    if args.command == "health":
        return c.health_check(settings, args.max_age)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
