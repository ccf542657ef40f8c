"""``zag-tray``: run the tray (default), or list/show/kill/stop agents from a shell.

A thin layer over agents/, store/, procs/ and desktop/; the headless commands never
import Qt (the tray is ui/, imported only to run it).
Exit codes: 0 success, 1 the operation failed (one line on stderr), 2 usage.

Every field of the store is written by other programs, and a terminal acts on what it is
sent (clears the screen, sets its title, writes the clipboard). So nothing from the store,
a process or an argument is printed raw: text goes through ``visible`` or ``one_line``
(agents/text.py), JSON through ``json_text`` (agents/jsontext.py), which escapes the same
characters and, unlike json.dumps, does not recurse: an agent's children nest in it.

``list`` and ``show`` are cli/reading.py, the table of ``list`` cli/listing.py (its text
layout cli/table.py), the other views cli/views.py, ``watch`` cli/watch.py, ``--host``
(through ssh) cli/hosts.py, the tray's start cli/launch.py, and what is written to the tray's
log cli/journal.py.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, NoReturn

from zag_tray import version
from zag_tray.agents.text import one_line, visible
from zag_tray.desktop.paths import BASE_DIR_ENV, BaseDirChoice, resolve_base_dir
from zag_tray.store.errors import StoreError

if TYPE_CHECKING:  # each command imports what it uses: `list` on a big store is timed
    from pathlib import Path
    from types import ModuleType

    from zag_tray.procs.actions import KillOutcome

PROG = "zag-tray"
ONE_LINE = 1000
"""Characters of a message on stderr: an ambiguous prefix names up to 10 ids."""


class CliError(Exception):
    """A failure to report as one line on stderr with exit code 1."""


class _Parser(argparse.ArgumentParser):
    """argparse quotes the arguments it rejects raw (``unrecognized arguments: ...``)."""

    def error(self, message: str) -> NoReturn:
        super().error(visible(message))


class _Version(argparse.Action):
    """``--version``: the package metadata is read only when asked (see zag_tray.version)."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"{PROG} {version()}")  # on stdout, as argparse's own version action prints
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``zag-tray`` console script and ``python -m zag_tray``."""
    args = parse_args(argv)
    if args.verbose or args.command not in _UNLOGGED:
        _logging(args)
    try:
        return int((args.func if args.host is None else _on_host)(args))
    except StoreError as exc:
        _journal(_logging(args).ERROR, f"{args.command or 'tray'}: store error: {exc}")
        return _fail(str(exc))
    except CliError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the promise is: one line, never a traceback
        log = _logging(args).getLogger("zag_tray")
        log.debug("unexpected error", exc_info=True)
        return _fail(f"unexpected error: {type(exc).__name__}: {exc}")


_UNLOGGED: Final = frozenset({"list", "show"})
"""Commands that log nothing unless something fails (no module they run logs: checked by
tests/core/test_cli.py), so they start without the logging module (4 ms of a `list` timed
against a bare json.load); ``--verbose`` sets it up for them too."""


def _logging(args: argparse.Namespace) -> ModuleType:
    """The logging module, set up for the command line (once: basicConfig does nothing after)."""
    import logging

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(name)s: %(levelname)s: %(message)s",
    )
    return logging


def run() -> NoReturn:
    """The console script: :func:`main`, then exit without tearing down the heap.

    After `list` on a 100,000-entry store, freeing every object one by one at
    exit costs more than printing the result; the OS reclaims it all at once. A command
    this short-lived makes no garbage cycles worth collecting while it builds 100,000
    objects, so the collector stays off (the tray runs its own: ui/collector.py).
    """
    global _kept
    gc.disable()
    _give_stdio()
    _kept = []
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        code = code or 1
    os._exit(code)


_kept: list[object] | None = None
"""What a command built, kept by the console script (:func:`run`) until it exits without
freeing it; None where :func:`main` is called otherwise (tests), which frees as usual."""


def keep(*built: object) -> None:
    """``built`` kept until the process exits, where :func:`run` ends it: freed one object at
    a time instead, a 100,000-entry store read for ``list --all --json`` took 50 ms more."""
    if _kept is not None:
        _kept.extend(built)


def _give_stdio() -> None:
    """A windowed build on Windows (PyInstaller's windowed exe, like pythonw) starts with no
    stdout or stderr at all: printing would raise. What it prints then goes nowhere."""
    if sys.stdout is None or sys.stderr is None:
        sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
        sys.stdout, sys.stderr = sys.stdout or sink, sys.stderr or sink


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, ``--base-dir`` and ``--verbose`` taken before or after the command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.base_dir = getattr(args, "base_dir", None)
    args.verbose = getattr(args, "verbose", False)
    if getattr(args, "flat", False) and not args.json:
        parser.error("--flat goes with --json (the table is a tree already)")
    args.host = getattr(args, "host", None)
    if args.host is not None and args.base_dir is not None:
        parser.error("--base-dir names a directory here; with --host the other machine finds its own")
    return args


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    remote = _Parser(add_help=False)
    remote.add_argument(
        "--host",
        metavar="ALIAS|URL",
        default=None,
        help="on another machine: an alias of your ssh config (it needs zag-tray there), or a zag serve "
        "URL https://HOST:PORT (`zag-tray host pin URL` first)",
    )
    common.add_argument(
        "--base-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="zag's base directory (default: see `zag-tray where`)",
    )
    common.add_argument(
        "--verbose", "-v", action="store_true", default=argparse.SUPPRESS, help="log debug messages to stderr"
    )
    parser = _Parser(  # its subcommands' parsers are of its class
        prog=PROG,
        parents=[common],
        description="A system-tray monitor for zag agents. With no command, runs the tray.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    # Not base_dir/verbose here: set_defaults would change the actions shared with every
    # subcommand (argparse parents share them), and a --base-dir given before the command
    # was then reset to None by the command's own parse. parse_args fills them in.
    parser.set_defaults(func=_cmd_tray)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    p = sub.add_parser(
        "list",
        parents=[common, remote],
        help="the agents as a table, drawn as a tree (running ones by default)",
    )
    p.add_argument("--all", action="store_true", help="every stored entry, finished ones too")
    p.add_argument("--json", action="store_true", help="machine-readable output: a list of root nodes")
    p.add_argument(
        "--flat", action="store_true", help="with --json: one object per agent, its tree parent in `parent`"
    )
    p.add_argument(
        "--color",
        "--colour",
        choices=("auto", "always", "never"),  # cli/table.py's COLOUR_CHOICES
        nargs="?",
        const="always",
        default="auto",
        help="colour the status: auto (default: on a terminal, unless NO_COLOR is set), always, never",
    )
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("show", parents=[common, remote], help="every field of one agent")
    p.add_argument("id", help="the agent's id (or a unique prefix of it)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("kill", parents=[common, remote], help="end an agent (SIGTERM) and record it killed")
    p.add_argument("id", help="the agent's id (or a unique prefix of it)")
    p.add_argument("--tree", action="store_true", help="also its descendants, deepest first")
    p.add_argument("--force", action="store_true", help="SIGKILL, for an agent that ignored SIGTERM")
    p.set_defaults(func=_cmd_kill)

    p = sub.add_parser(
        "stop", parents=[common, remote], help="send SIGHUP (zag's `ps stop`); store untouched"
    )
    p.add_argument("id", help="the agent's id (or a unique prefix of it)")
    p.set_defaults(func=_cmd_stop)

    p = sub.add_parser(
        "watch",
        parents=[common, remote],
        help="print what changes (started, activity, finished) until input ends",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line (see the README)")
    p.set_defaults(func=_cmd_watch)

    p = sub.add_parser("where", parents=[common], help="where the store is looked for, and why")
    p.set_defaults(func=_cmd_where)

    p = sub.add_parser(
        "demo", parents=[common], help="open the tray on a few harmless demo agents in a temporary dir"
    )
    p.set_defaults(func=_cmd_demo)
    from zag_tray.cli.serve import add_host_parser  # zag serve hosts: cli/serve.py

    add_host_parser(sub, common)
    return parser


def _fail(message: str) -> int:
    print(f"{PROG}: {one_line(message, ONE_LINE)}", file=sys.stderr)
    return 1


def _journal(level: int, message: str) -> None:
    """``message`` in the tray's log file; imported here, so `list` opens no log."""
    from zag_tray.cli import journal

    journal.record(level, message)


def _base(args: argparse.Namespace) -> BaseDirChoice:
    return resolve_base_dir(args.base_dir)


def _store(args: argparse.Namespace) -> Path:
    """The store of a command that reads it, with a warning when the base dir the user
    named (``--base-dir``, or ``ZAG_TRAY_BASE_DIR``) is not there: a typo would otherwise
    read as "no agents". zag's own ~/.zag missing is a fresh install: nothing to warn of."""
    choice = _base(args)
    named = args.base_dir or os.environ.get(BASE_DIR_ENV, "").strip()
    try:
        state = "" if not named or choice.path.is_dir() else "does not exist"
        if state and choice.path.exists():
            state = "is not a directory"
    except OSError:  # not ours to look into: reading the store says why in its one line
        state = ""
    if state:
        print(f"{PROG}: warning: {visible(str(choice.path))} {state} ({choice.reason})", file=sys.stderr)
    return choice.store


# --- list / show: cli/reading.py -----------------------------------------------------------


def _on_host(args: argparse.Namespace) -> int:
    from zag_tray.cli.hosts import on_host, watch_host  # ssh: only for --host

    return watch_host(args) if args.command == "watch" else on_host(args)


def _cmd_list(args: argparse.Namespace) -> int:
    from zag_tray.cli.reading import list_command

    return list_command(args)


def _cmd_show(args: argparse.Namespace) -> int:
    from zag_tray.cli.reading import show_command

    return show_command(args)


# --- kill / stop -----------------------------------------------------------------------------


# Each is also written to the tray's log, as `kill ID: ...`: who ended an agent, and how.


def _cmd_kill(args: argparse.Namespace) -> int:
    import logging

    from zag_tray.agents.present import title
    from zag_tray.procs import actions
    from zag_tray.procs.liveness import LivenessChecker

    what = f"kill {args.id}" + (" --tree" if args.tree else "") + (" --force" if args.force else "")
    try:
        outcome = actions.kill(_store(args), args.id, LivenessChecker(), tree=args.tree, force=args.force)
    except actions.ActionError as exc:
        _journal(logging.WARNING, f"{what}: refused: {exc}")
        raise CliError(str(exc)) from None
    for entry in outcome.signalled:
        said = f"{outcome.signal} sent to {visible(entry.id)} (pid {entry.pid}, {title(entry)})"
        print(said)
        _journal(logging.INFO, f"{what}: {said}")
    for failure in outcome.failures:
        print(f"{PROG}: {one_line(failure, ONE_LINE)}", file=sys.stderr)
        _journal(logging.WARNING, f"{what}: {failure}")
    if outcome.write_error:
        _journal(logging.ERROR, f"{what}: {outcome.write_error}")
        raise CliError(outcome.write_error)
    if outcome.still_running:
        survivors = _still_running(args, outcome)
        _journal(logging.WARNING, f"{what}: {survivors}")
        raise CliError(survivors)
    return 0 if outcome.ok else 1


def _still_running(args: argparse.Namespace, outcome: KillOutcome) -> str:
    """Not recorded killed: it is not (an agent is recorded killed once its process is gone)."""
    from zag_tray.procs import actions

    agents = ", ".join(f"{visible(e.id[:8])} (pid {e.pid})" for e in outcome.still_running[:10])
    more = f" and {len(outcome.still_running) - 10} more" if len(outcome.still_running) > 10 else ""
    hint = "" if args.force else f"; `{PROG} kill {visible(args.id)} --force` sends SIGKILL"
    return f"still running {actions.TERM_GRACE_SECONDS:.0f} s after {outcome.signal}: {agents}{more}{hint}"


def _cmd_stop(args: argparse.Namespace) -> int:
    import logging

    from zag_tray.agents.present import title
    from zag_tray.procs import actions
    from zag_tray.procs.liveness import LivenessChecker

    try:
        entry = actions.stop(_store(args), args.id, LivenessChecker())
    except actions.ActionError as exc:
        _journal(logging.WARNING, f"stop {args.id}: refused: {exc}")
        raise CliError(str(exc)) from None
    said = f"SIGHUP sent to {visible(entry.id)} (pid {entry.pid}, {title(entry)})"
    print(said)
    _journal(logging.INFO, f"stop {args.id}: {said}")
    return 0


# --- watch / where / demo / tray ---------------------------------------------------------------


def _cmd_watch(args: argparse.Namespace) -> int:
    from zag_tray.cli.watch import watch  # not at the top: `list` does not need it

    return watch(_store(args), sys.stdout, as_json=args.json, stdin=getattr(sys.stdin, "buffer", None))


def _cmd_where(args: argparse.Namespace) -> int:
    from zag_tray.cli.views import where_lines
    from zag_tray.desktop.logs import log_path  # not at the top: `list` starts without logging
    from zag_tray.desktop.settings import settings_path

    for line in where_lines(_base(args), settings_path(), log_path()):
        print(line)
    return 0


def _cmd_tray(args: argparse.Namespace) -> int:
    from zag_tray.cli import launch  # Qt is imported only when the tray runs

    return launch.tray(_base(args), verbose=args.verbose)


def _cmd_demo(args: argparse.Namespace) -> int:
    from zag_tray.cli import launch

    return launch.demo()
