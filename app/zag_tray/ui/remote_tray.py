"""Other machines in the tray's menu and glance, and the actions on their agents.

A host's section in the menu: its name and state, its agents (titled, worded and coloured by
agents/present.py as local ones are, their activity converted by remote/glance.py), and
"Sign in…" where ssh needs the user (a terminal running ``ssh ALIAS true``: ssh asks its own
questions, nothing is accepted here). An offline host's agents stay listed, greyed, from its
last snapshot. Kill, kill tree, force kill and stop run ``zag-tray kill|stop … -- ID`` on the
host (remote/driver.run through ui/remote_link.py, off the GUI thread); its exit code and
one-line error are the action's result. A zag serve host (its URL) is shown the same way,
its statuses hedged (zag's ``kill(pid, 0)``); stop and kill are zag's own API's
(ui/serve_link.py), and in place of a tree kill and a force kill the menu says zag serve
has neither.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable, Sequence
from typing import Final

from PySide6.QtCore import QObject, Signal

from zag_tray.agents.present import menu_label, outcome, title
from zag_tray.agents.text import SHORT_FIELD, one_line
from zag_tray.desktop import terminal
from zag_tray.remote.driver import Ran
from zag_tray.remote.failures import WORDS, Problem, last_line
from zag_tray.remote.glance import activity, host_name, machine_line, needs_you
from zag_tray.remote.protocol import RemoteAgent
from zag_tray.remote.serve import NO_TREE, ServeFailure
from zag_tray.remote.serve_hosts import is_serve_url
from zag_tray.remote.ssh import ssh_argv
from zag_tray.remote.state import HostState, Link
from zag_tray.ui.agent_actions import ON_A_SERVE_HOST
from zag_tray.ui.menu import SEPARATOR, Item
from zag_tray.ui.questions import Question
from zag_tray.ui.remote_link import RemoteHosts

SEP: Final = "\x1f"
"""Between an action, an alias and an id in a menu item's argument (neither holds it: the
alias rule has no control characters, and the id is only split off, never parsed)."""
ACTIONS: Final = {
    "stop": ("Stop", ["stop"]),
    "kill": ("Kill", ["kill"]),
    "kill_tree": ("Kill tree", ["kill", "--tree"]),
    "force_kill": ("Force kill", ["kill", "--force"]),
}
"""What each menu action runs there: ``zag-tray ARGV -- ID`` (cli/hosts.py's words)."""
SIGN_IN: Final = (Problem.SIGN_IN, Problem.HOST_KEY)
DETAIL: Final = 100
"""Characters of a line of what a host said, shown under its name in the menu (a changed
certificate's two fingerprints, 95 characters each, are a line each: the user compares them)."""


def host_items(states: Sequence[HostState], now: float, *, ticking: bool) -> list[Item]:
    """A section per host, after this machine's agents."""
    items: list[Item] = []
    for state in states:
        name, alias = host_name(state), state.alias
        live = state.link is Link.LIVE
        items += [SEPARATOR, Item(machine_line(state, now), enabled=False, key=f"host{SEP}{alias}")]
        if state.detail and not live:  # what ssh or zag serve said: both fingerprints, a 401's text
            items += [Item(line, enabled=False) for line in _wrapped(state.detail)]
        for agent in state.agents:
            label = menu_label(
                agent.entry, agent.live_status, now if ticking else None, activity(agent.activity)
            )
            key = f"{alias}{SEP}{agent.entry.id}"
            if live:
                colour = outcome(agent.entry, agent.live_status).colour
                items.append(Item(label, colour=colour, submenu=_actions(alias, agent), key=key))
            else:  # greyed: its last snapshot, nothing to act on until it is back
                items.append(Item(label, enabled=False, key=key))
        if state.problem in SIGN_IN and not live:
            items.append(Item(f"Sign in to {name}…", ("sign_in", alias)))
    return items


def _wrapped(detail: str) -> list[str]:
    """At most five lines (textwrap's own ``max_lines`` drops a word longer than its room)."""
    return textwrap.wrap(one_line(detail, 5 * DETAIL), DETAIL, break_long_words=False)[:5]


def _actions(alias: str, agent: RemoteAgent) -> tuple[Item, ...]:
    serve = is_serve_url(alias)
    offered = tuple(
        Item(f"{word}…", ("remote", SEP.join((action, alias, agent.entry.id))))
        for action, (word, _argv) in ACTIONS.items()
        if not serve or action in ON_A_SERVE_HOST
    )
    return (*offered, Item(NO_TREE, enabled=False)) if serve else offered  # says why, offers nothing


def glance(states: Sequence[HostState], now: float) -> tuple[int, int, list[str]]:
    """(agents running on the hosts that were live, those that may wait for the user, a
    tooltip line per host): an offline host's last snapshot counts, greyed, as its agents."""
    running = sum(len(state.agents) for state in states)
    waiting = sum(len(needs_you(state.agents, now)) for state in states)
    lines = [machine_line(state, now) for state in states]
    return running, waiting, lines


class RemoteActions(QObject):
    """Confirms and runs an action on a remote agent; ``message`` is its one-line result."""

    message = Signal(str)

    def __init__(
        self, hosts: RemoteHosts, confirm: Callable[[Question], bool], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.hosts, self.confirm = hosts, confirm
        self.confirm_kill = True
        self.terminal: list[str] | None = None

    def act(self, key: str) -> None:
        """``key``: action, alias and id (see :data:`SEP`)."""
        action, alias, entry_id = key.split(SEP, 2)
        word, argv = ACTIONS[action]
        state = self.hosts.state_of(alias)
        agent = None if state is None else next((a for a in state.agents if a.entry.id == entry_id), None)
        who = title(agent.entry) if agent is not None else one_line(entry_id, 40)
        where = one_line(alias, SHORT_FIELD)
        if action != "stop" and (self.confirm_kill or action == "force_kill"):
            question = Question(f"{word} on {where}", f"{word} {who} on {where}?", word)
            if not self.confirm(question):
                return
        done = functools.partial(self._done, f"{where}: {word} {who}")
        if is_serve_url(alias):  # zag's own stop and kill (the menu offers no other there)
            self.hosts.act_serve(alias, action, entry_id, done)
        else:
            self.hosts.run(alias, [*argv, "--", entry_id], done)

    def _done(self, what: str, ran: object) -> None:
        if isinstance(ran, ServeFailure):  # its words and what zag said, never the token
            self.message.emit(f"{what}: {one_line(str(ran), 200)}")
        elif isinstance(ran, str):  # what zag serve answered: "killed"
            self.message.emit(f"{what}: done" + (f": {one_line(ran, 80)}" if ran else ""))
        elif isinstance(ran, Exception):
            self.message.emit(f"{what}: {one_line(str(ran), 200)}")
        elif isinstance(ran, Ran):
            if ran.problem is not None:
                said = last_line(ran.stderr)
                self.message.emit(
                    f"{what}: {WORDS[ran.problem]}" + (f" ({one_line(said, 160)})" if said else "")
                )
                return
            said = last_line(ran.stderr) or last_line(ran.stdout.decode("utf-8", "replace"))
            result = "done" if ran.code == 0 else f"exit {ran.code}"
            self.message.emit(f"{what}: {result}" + (f": {one_line(said, 160)}" if said else ""))

    def sign_in(self, alias: str) -> None:
        """The user's terminal running ``ssh ALIAS true`` (our options, but not BatchMode: ssh
        asks the user its own questions there: the fingerprint, a passphrase)."""
        argv = [
            "BatchMode=no" if a == "BatchMode=yes" else a for a in ssh_argv(alias, "true", self.hosts.config)
        ]
        try:
            terminal.run_in_terminal(argv, self.terminal)
        except terminal.TerminalError as exc:
            self.message.emit(f"Sign in to {one_line(alias, SHORT_FIELD)}: {exc}")
