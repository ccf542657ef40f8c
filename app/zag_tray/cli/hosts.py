"""``--host ALIAS``: list, show, kill and stop run on another machine through ssh
(remote/driver.py), and ``watch --host`` follows one (remote/state.py). ``--host URL`` (a
``zag serve``) goes to cli/serve.py instead.

The remote zag-tray answers as it would locally: its exit code is ours, its one-line
errors are ours (named by host). Its output is another machine's text, so nothing of it
reaches the terminal raw: lines go through ``visible``, JSON is decoded and written again by
``json_text`` (agents/), each node with ``"host": ALIAS``. ssh's own failures (sign-in, host
key, unreachable, not installed) are one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import msgspec

from zag_tray.agents.jsontext import json_text
from zag_tray.agents.text import ELLIPSIS, one_line, visible
from zag_tray.cli import ONE_LINE, PROG, CliError
from zag_tray.remote import driver
from zag_tray.remote.failures import WORDS, last_line
from zag_tray.remote.serve_hosts import is_serve_url
from zag_tray.remote.ssh import AliasError, checked_alias, configured
from zag_tray.remote.state import Ended, HostState, describe

ACTION_TIMEOUT: Final = 120.0
"""Seconds a remote command may take: a kill waits for its agents to go (procs/actions.py)."""


def alias_of(args: argparse.Namespace) -> str:
    try:
        return checked_alias(args.host)
    except AliasError as exc:
        raise CliError(str(exc)) from None


def remote_argv(args: argparse.Namespace) -> list[str]:
    """The same command for the other machine: its flags, then ``--`` and the id."""
    if args.command == "list":
        flags = ["--all"] * args.all + ["--json"] * args.json + ["--flat"] * args.flat
        return ["list", *flags] + ([] if args.json else ["--color=never"])
    if args.command == "show":
        options = ["--json"] * args.json
    elif args.command == "kill":
        options = ["--tree"] * args.tree + ["--force"] * args.force
    else:
        options = []
    return [args.command, *options, "--", args.id]


def on_host(args: argparse.Namespace) -> int:
    """Run the command on ``args.host``; its exit code. A URL is a zag serve (cli/serve.py)."""
    if is_serve_url(args.host):
        from zag_tray.cli.serve import on_serve

        return on_serve(args)
    alias = alias_of(args)
    ran = driver.run(alias, remote_argv(args), configured(), timeout=ACTION_TIMEOUT)
    if ran.problem is not None:
        said = last_line(ran.stderr)
        raise CliError(f"{alias}: {WORDS[ran.problem]}" + (f" ({said})" if said else ""))
    if getattr(args, "json", False) and ran.code == 0:
        _print_tagged(ran.stdout, alias)
    else:
        _print_lines(ran.stdout.decode("utf-8", "replace"))
    for line in ran.stderr.splitlines():
        if line.strip():
            text = line.removeprefix(f"{PROG}: ")
            print(f"{PROG}: {visible(alias)}: {one_line(text, ONE_LINE)}", file=sys.stderr)
    return ran.code


def _print_tagged(data: bytes, alias: str) -> None:
    """The remote's JSON, each node (children too) with ``"host": ALIAS``."""
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise CliError(f"{alias}: not JSON from its zag-tray ({exc})") from None
    if not isinstance(value, list | dict):
        raise CliError(f"{alias}: not a list of agents from its zag-tray")
    tag_nodes(value, alias)


def tag_nodes(value: list[Any] | dict[str, Any], host: str) -> None:
    """Print ``value`` (JSON nodes, or one), each node (children too) with ``"host": host``."""
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            node["host"] = host
            stack.append(node.get("children") or [])
    sys.stdout.write(json_text(value) + "\n")


def _print_lines(text: str) -> None:
    """Each line escaped, and on a terminal cut to its width as ``list`` cuts its own."""
    from zag_tray.cli.table import cells, cut_index, terminal_width

    width = terminal_width(sys.stdout)
    for raw in text.splitlines():
        line = visible(raw)
        cut = None if width is None else cut_index(line, cells(line), width)
        print(line if cut is None else line[:cut] + ELLIPSIS)


# --- watch --host ------------------------------------------------------------------------------


def watch_host(args: argparse.Namespace) -> int:
    """Follow ``args.host`` until input ends or SIGTERM/SIGINT: a line when its state changes
    (connecting, live, offline and why), its agents when it is live, each agent it saw end."""
    from zag_tray.cli.watch import on_signals, watch_input

    if is_serve_url(args.host):
        from zag_tray.cli.serve import on_serve

        return on_serve(args)
    alias = alias_of(args)
    stop = threading.Event()
    restore = on_signals(stop)
    watch_input(getattr(sys.stdin, "buffer", None), stop)
    try:
        driver.HostStream(alias, configured(), report_to(args.json, alias)).run(stop)
    finally:
        restore()
    return 0


def report_to(as_json: bool, host: str) -> Callable[[HostState, list[Ended]], None]:
    """What ``watch --host`` prints of a host's states: a line when it changes (connecting,
    live, offline and why), its agents when it is live, each agent it saw end."""
    said: list[tuple[object, ...]] = []

    def report(state: HostState, ended: list[Ended]) -> None:
        key = (state.link, state.problem, state.detail, *(a.entry.id for a in state.agents))
        if not said or said[-1] != key:
            said.append(key)
            _say(as_json, _host_event(state), describe(state, time.time()))
        for end in ended:
            event = {"event": "finished", "host": host, "agent": end.agent.json(), "outcome": end.outcome}
            _say(as_json, event, f"finished  {visible(end.agent.entry.id[:8])}  {one_line(end.outcome, 200)}")

    return report


def _host_event(state: HostState) -> dict[str, Any]:
    from zag_tray.cli.views import rfc3339

    return {
        "event": "host",
        "host": state.alias,
        "link": state.link.value,
        "problem": None if state.problem is None else state.problem.value,
        "detail": state.detail,
        "last_seen": rfc3339(state.last_seen),
        "remote_host": state.remote_host,
        "status_certain": state.status_certain,
        "agents": [agent.json() for agent in state.agents],
    }


def _say(as_json: bool, event: dict[str, Any], text: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    line = json_text(event, indent=False) if as_json else f"{stamp}  {visible(event['host'])}  {text}"
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
