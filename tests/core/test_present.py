"""How an agent is shown is one rule (agents/present.py), the same in every place it is shown."""

from __future__ import annotations

import pytest

from tests.factories import entry, observation
from zag_tray.agents.notices import notice_for
from zag_tray.agents.present import outcome, runtime, runtime_text, sentence, tooltip
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.tree import build_forest
from zag_tray.cli import tree_lines

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


@pytest.mark.parametrize(
    ("status", "code", "label", "phrase", "failed"),
    [
        (LiveStatus.RUNNING, None, "running", "is running", False),
        (LiveStatus.EXITED, 0, "exited (0)", "finished (exit 0)", False),
        (LiveStatus.EXITED, 3, "exited (3)", "failed (exit 3)", True),
        (LiveStatus.KILLED, None, "killed", "was killed", False),
        (LiveStatus.KILLED, 137, "killed (137)", "was killed (exit 137)", False),
        (LiveStatus.DEAD, None, "dead", "died (no exit recorded)", True),
        (LiveStatus.UNKNOWN, None, "unknown", "is in an unknown state", False),
    ],
)
def test_outcomes_have_one_name_in_a_column_and_one_in_a_sentence(
    status: LiveStatus, code: int | None, label: str, phrase: str, failed: bool
) -> None:
    shown = outcome(entry("a", exit_code=code), status)
    assert (shown.label, shown.phrase, shown.failed) == (label, phrase, failed)


def test_the_cli_the_tooltip_and_the_notification_say_the_same() -> None:
    finished = entry("f", minute=1, status="exited", exit_code=3, exited_at="2026-03-28T10:05:00Z")
    running = entry("r", minute=2, provider="codex", model="gpt-5", prompt="fix it")
    before = observation([entry("f", minute=1), running], {"f": LiveStatus.RUNNING, "r": LiveStatus.RUNNING})
    after = observation([finished, running], {"r": LiveStatus.RUNNING}, before=before)
    assert tree_lines(list(after.running_forest), after.checked, LATER) == [
        "r  codex · gpt-5 · exec  running  pid 100  58m00s  “fix it”"
    ]
    assert tree_lines(build_forest([finished]), {}, LATER) == [
        "f  claude · sonnet · exec  exited (3)  pid 100  4m00s  “Say hello”"
    ]
    notice = notice_for(after.finished, LATER)
    assert notice is not None and notice.text == "claude · sonnet failed (exit 3) after 4m00s"
    assert tooltip(after, LATER).splitlines()[-1] == "longest: codex · gpt-5, 58m00s — fix it"
