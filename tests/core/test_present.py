"""How an agent is shown is one rule (agents/present.py), the same in every place it is shown."""

from __future__ import annotations

import msgspec
import pytest

from tests.factories import entry, observation
from zag_tray.agents.glance import attention_line, tooltip
from zag_tray.agents.notices import notice_for
from zag_tray.agents.observation import Finished
from zag_tray.agents.present import (
    GREEN,
    GREY,
    ORANGE,
    RED,
    failed,
    outcome,
    runtime,
    runtime_text,
    sentence,
    since,
)
from zag_tray.agents.status import AgentState, LiveStatus, Stopping
from zag_tray.agents.tree import build_forest
from zag_tray.cli.listing import forest_rows, table_lines

START = 1774692000.0  # 2026-03-28T10:00:00Z, when the factories' agents start (minute 0)
LATER = START + 3600


def test_runtime_runs_while_the_agent_runs_and_freezes_at_its_recorded_end() -> None:
    agent = entry("a", status="exited", exit_code=0, exited_at="2026-03-28T10:04:12Z")
    assert runtime(entry("a"), LiveStatus.RUNNING, START + 90) == 90
    assert runtime(agent, LiveStatus.EXITED, LATER) == 252
    assert runtime(agent, LiveStatus.EXITED, LATER + 86400) == 252  # frozen: no clock after the end


def test_an_agent_that_died_with_no_end_recorded_has_no_runtime() -> None:
    dead = entry("d")  # stored running, its process gone
    assert runtime(dead, LiveStatus.DEAD, LATER) is None
    assert runtime_text(dead, LiveStatus.DEAD, LATER) == "—"
    assert sentence(dead, LiveStatus.DEAD, LATER) == "claude · sonnet died (no exit recorded)"


SIGTERMED = Stopping("SIGTERM", START, by_user=True)


@pytest.mark.parametrize(
    ("state", "code", "label", "phrase", "colour", "failed"),
    [
        (AgentState(LiveStatus.RUNNING), None, "running", "is running", GREEN, False),
        (AgentState(LiveStatus.EXITED), 0, "exited (0)", "finished (exit 0)", GREY, False),
        (AgentState(LiveStatus.EXITED), 3, "exited (3)", "failed (exit 3)", RED, True),
        (AgentState(LiveStatus.KILLED), None, "killed", "was killed", GREY, False),
        (AgentState(LiveStatus.KILLED), 137, "killed (137)", "was killed (exit 137)", GREY, False),
        (AgentState(LiveStatus.DEAD), None, "dead", "died (no exit recorded)", ORANGE, True),
        (AgentState(LiveStatus.UNKNOWN), None, "unknown", "is in an unknown state", ORANGE, False),
        # the user's own stop or kill: never a failure, whatever it left
        (AgentState(LiveStatus.RUNNING, SIGTERMED), None, "stopping…", "is stopping", ORANGE, False),
        (
            AgentState(LiveStatus.RUNNING, msgspec.structs.replace(SIGTERMED, overdue=True)),
            None,
            "still running after SIGTERM",
            "is still running after SIGTERM",
            ORANGE,
            False,
        ),
        (
            AgentState(LiveStatus.RUNNING, Stopping("killed", START, by_user=False)),
            None,
            "still running (recorded killed)",
            "is still running",
            ORANGE,
            False,
        ),
        (AgentState(LiveStatus.DEAD, ended_by="SIGTERM"), None, "killed", "was killed", GREY, False),
        (AgentState(LiveStatus.DEAD, ended_by="SIGHUP"), None, "stopped", "was stopped", GREY, False),
        (AgentState(LiveStatus.EXITED, ended_by="SIGTERM"), 143, "exited (143)", "was killed", GREY, False),
    ],
)
def test_outcomes_have_one_name_in_a_column_one_in_a_sentence_and_one_colour(
    state: AgentState, code: int | None, label: str, phrase: str, colour: str, failed: bool
) -> None:
    shown = outcome(entry("a", exit_code=code), state)
    assert (shown.label, shown.phrase, shown.colour, shown.failed) == (label, phrase, colour, failed)


def test_a_death_the_tray_saw_freezes_the_runtime_when_it_saw_it() -> None:
    dead = AgentState(LiveStatus.DEAD, gone_at=START + 300)
    assert runtime(entry("d"), dead, START + 400) == 300
    assert runtime(entry("d"), dead, START + 86400 * 242) == 300  # no clock after the end


def test_a_kill_tree_of_four_is_four_agents_killed_and_no_failure() -> None:
    ended = [
        Finished(
            entry(f"k{n}", status="killed", exited_at="2026-03-28T10:05:00Z"),
            AgentState(LiveStatus.KILLED, ended_by="SIGTERM"),
        )
        for n in range(3)
    ]
    ended.append(Finished(entry("k3"), AgentState(LiveStatus.DEAD, ended_by="SIGTERM")))  # not recorded yet
    notice = notice_for(ended, LATER)
    assert notice is not None and (notice.text, notice.urgent) == ("4 agents killed", False)
    assert not any(map(failed, ended))
    one = notice_for(ended[-1:], LATER)
    assert one is not None and (one.title, one.text) == ("Agent killed", "claude · sonnet was killed")


def test_the_dot_is_explained() -> None:
    failure = Finished(entry("f", status="exited", exit_code=3), AgentState(LiveStatus.EXITED))
    assert attention_line([failure]) == "1 failed since you looked: claude · sonnet failed (exit 3)"
    assert attention_line([failure, failure]) == "2 failed or died since you looked"
    seen = observation([entry("r")], {"r": LiveStatus.RUNNING})
    assert tooltip(seen, LATER, attention_line([failure])).splitlines()[1] == attention_line([failure])


def test_the_cli_the_tooltip_and_the_notification_say_the_same() -> None:
    finished = entry("f", minute=1, status="exited", exit_code=3, exited_at="2026-03-28T10:05:00Z")
    running = entry("r", minute=2, provider="codex", model="gpt-5", prompt="fix it")
    before = observation([entry("f", minute=1), running], {"f": LiveStatus.RUNNING, "r": LiveStatus.RUNNING})
    after = observation([finished, running], {"r": LiveStatus.RUNNING}, before=before)
    assert list(table_lines(forest_rows(list(after.running_forest), after.checked), LATER))[1:] == [
        "r   codex · gpt-5  exec     running  —         100  58 min ago  58m00s   —     fix it"
    ]
    assert list(table_lines(forest_rows(build_forest([finished]), {}), LATER))[1:] == [
        "f   claude · sonnet  exec     exited (3)  —         100  59 min ago  4m00s    —     Say hello"
    ]
    notice = notice_for(after.finished, LATER)
    assert notice is not None and notice.text == "claude · sonnet failed (exit 3) after 4m00s"
    assert tooltip(after, LATER).splitlines()[-1] == (f"longest: codex · gpt-5, {since(running)} — fix it")


def test_the_tooltip_does_not_tick() -> None:
    """Each change of it is a D-Bus signal to a StatusNotifierItem host: none at rest."""
    seen = observation([entry("r")], {"r": LiveStatus.RUNNING})
    assert tooltip(seen, LATER) == tooltip(seen, LATER + 59) == tooltip(seen, LATER + 3600)
