"""Text zag stored is hostile: shown escaped and cut wherever a person reads or decides,
never laid out by Qt at full length."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QLabel, QMenu
from pytestqt.qtbot import QtBot

from tests.factories import entry, observation, write_one
from zag_tray.agents.glance import tooltip
from zag_tray.agents.status import LiveStatus
from zag_tray.agents.text import LONG_FIELD, SHORT_FIELD
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.ui.controller import AgentController
from zag_tray.ui.menu import MenuHandlers, populate
from zag_tray.ui.window import AgentWindow

HUGE_PROVIDER = "p" * 100_000
HUGE_PROMPT = "do this\n" + "x" * 1_000_000
REVERSED_ROOT = "/home/dev/\u202eslaicnanif"  # reads /home/dev/financials when laid out


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[AgentWindow]:
    win = AgentWindow("/tmp/x/processes.json")
    qtbot.addWidget(win)
    yield win


def test_huge_fields_are_cut_before_qt_lays_them_out(window: AgentWindow, qtbot: QtBot) -> None:
    huge = entry("huge", provider=HUGE_PROVIDER, prompt=HUGE_PROMPT, root="/r" * 50_000)
    window.apply(observation([huge], {"huge": LiveStatus.RUNNING}))
    window.show_and_raise()
    assert window.select_entry("huge")
    texts = {name: label.text() for name, label in window.details.labels.items()}
    assert max(len(t) for name, t in texts.items() if name != "prompt") < SHORT_FIELD + 40
    assert len(texts["prompt"]) < LONG_FIELD + 40
    assert texts["prompt"].startswith("do this\nxxx")
    assert texts["prompt"].endswith(f"… ({len(HUGE_PROMPT) - LONG_FIELD:,} more characters)")
    assert all(len(w.text()) < LONG_FIELD + 40 for w in window.findChildren(QLabel))
    combo = window.findChildren(QComboBox)[0]
    assert all(len(combo.itemText(i)) <= 40 for i in range(combo.count()))
    # ... the whole value is one click away, and the filter still matches the whole provider
    with qtbot.waitSignal(window.copy_text_requested) as copied:
        window.details.copy_all["prompt"].click()
    assert copied.args == ["prompt", HUGE_PROMPT]
    assert not window.details.copy_all["id"].isVisible()
    combo.setCurrentIndex(1)
    assert window.select_entry("huge")


def test_direction_overrides_are_shown_where_the_user_decides(
    window: AgentWindow, base_dir: Path, qtbot: QtBot
) -> None:
    agent = entry("rtl", root=REVERSED_ROOT, model="gpt\u202e5")
    seen = observation([agent], {"rtl": LiveStatus.RUNNING})
    window.apply(seen)
    window.select_entry("rtl")
    assert window.details.labels["root"].text() == "/home/dev/\\u202eslaicnanif"
    asked: list[str] = []
    controller = AgentController(
        write_one(base_dir, "rtl", 999_999),
        LivenessChecker(),
        lambda question: asked.append(question.text) or False,
    )
    controller.observation = seen
    controller.kill("rtl")
    assert "\\u202e" in asked[0] and "\u202e" not in asked[0]
    assert "control or direction characters" in asked[0]
    menu = QMenu()
    populate(menu, seen, _ignore_all(), now=seen.observed_at)
    assert all("\u202e" not in action.text() for action in _every_action(menu))


def test_copy_id_escapes_an_id_with_control_characters_and_says_so(base_dir: Path, qtbot: QtBot) -> None:
    controller = AgentController(base_dir / "processes.json", LivenessChecker(), lambda *_: False)
    with qtbot.waitSignal(controller.message) as said:
        controller.copy_id("abc\n\x1b[2Jrm -rf ~")
    assert QGuiApplication.clipboard().text() == "abc\\n\\x1b[2Jrm -rf ~"
    assert "control or direction characters" in said.args[0]
    with qtbot.assertNotEmitted(controller.message):
        controller.copy_id("plain-id-1")
    assert QGuiApplication.clipboard().text() == "plain-id-1"


def _every_action(menu: QMenu) -> Iterator[object]:
    for action in menu.actions():
        yield action
        sub = action.menu()
        if isinstance(sub, QMenu):
            yield from _every_action(sub)


def _ignore_all() -> MenuHandlers:
    def ignore(*_: object) -> None:
        return None

    return MenuHandlers(*(ignore,) * 15)


def test_a_huge_parent_id_is_cut_in_its_link_and_the_link_still_selects_the_parent(
    window: AgentWindow, qtbot: QtBot
) -> None:
    parent_id = "p" * 1_000_000
    child = entry("child", parent_id, 1)
    window.apply(
        observation([entry(parent_id), child], {parent_id: LiveStatus.RUNNING, "child": LiveStatus.RUNNING})
    )
    assert window.select_entry("child")
    assert len(window.details.labels["parent_process_id"].text()) < SHORT_FIELD + 100
    with qtbot.waitSignal(window.details.parent_clicked) as clicked:
        window.details.labels["parent_process_id"].linkActivated.emit("parent")
    assert clicked.args == [parent_id]


def test_thousands_of_providers_keep_the_tooltip_and_the_menu_header_short() -> None:
    agents = [entry(f"a{n}", provider=f"provider-{n}") for n in range(5000)]
    seen = observation(agents, {f"a{n}": LiveStatus.RUNNING for n in range(5000)})
    assert len(tooltip(seen, seen.observed_at)) < 1000
    menu = QMenu()
    populate(menu, seen, _ignore_all(), now=seen.observed_at)
    assert len(menu.actions()[0].text()) < 300
