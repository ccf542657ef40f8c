"""The tray menu's tree, plain text in it, and kill / kill tree / open root through the UI layer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from tests import factories
from tests.conftest import GRANDCHILD, ORCH, ORPHAN, WORKER, LiveSample
from tests.factories import entry, write_one
from zag_tray.agents.activity import Activity
from zag_tray.agents.observation import with_activity
from zag_tray.agents.present import outcome
from zag_tray.agents.status import LiveStatus
from zag_tray.procs.liveness import LivenessChecker
from zag_tray.procs.monitor import Monitor
from zag_tray.procs.stopping import StopTracker
from zag_tray.ui.controller import AgentController
from zag_tray.ui.menu import MenuHandlers, MenuOptions, populate
from zag_tray.ui.questions import Question


def handlers(calls: list[tuple[str, str]]) -> MenuHandlers:
    def record(name: str):  # type: ignore[no-untyped-def]
        return lambda entry_id="": calls.append((name, entry_id))

    return MenuHandlers(
        details=record("details"),
        open_root=record("open_root"),
        open_terminal=record("open_terminal"),
        copy_id=record("copy_id"),
        stop=record("stop"),
        kill=record("kill"),
        kill_tree=record("kill_tree"),
        force_kill=record("force_kill"),
        open_window=record("open_window"),
        open_folder=record("open_folder"),
        set_notifications=record("set_notifications"),  # type: ignore[arg-type]
        set_notify_waiting=record("set_notify_waiting"),  # type: ignore[arg-type]
        set_start_at_login=record("set_start_at_login"),  # type: ignore[arg-type]
        settings=record("settings"),
        quit=record("quit"),
    )


def tree_of(menu: QMenu) -> list[object]:
    out: list[object] = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        sub = action.menu()
        out.append((action.text(), tree_of(sub)) if isinstance(sub, QMenu) else action.text())
    return out


def test_menu_is_the_running_tree_with_actions(live_sample: LiveSample, qtbot: QtBot) -> None:
    observation = Monitor(live_sample.path).observe()
    menu = QMenu()
    calls: list[tuple[str, str]] = []
    populate(menu, observation, handlers(calls), observation.observed_at, MenuOptions(recent_seconds=1e10))
    tree = tree_of(menu)
    assert tree[0] == "4 agents running (2 claude, 1 codex, 1 ollama)"
    orphan_menu, orch_menu = tree[1], tree[2]
    assert isinstance(orch_menu, tuple) and orch_menu[0].startswith(
        "claude · opus — Orchestrate: split the parser refactor… — "
    )
    actions = ["Details", "Open root", "Terminal here", "Copy ID", "Stop", "Kill…"]
    assert orch_menu[1][:7] == [*actions, "Kill tree (3)…"]
    worker = orch_menu[1][7]
    assert worker[0].startswith("codex · gpt-5 — Write property tests for the tokenizer — ")
    assert worker[1][:7] == [*actions, "Kill tree (2)…"]
    assert worker[1][7][0].startswith("claude · sonnet — Fix the failing test in lexer.rs — ")
    assert worker[1][7][1] == actions
    assert isinstance(orphan_menu, tuple) and orphan_menu[1] == actions
    assert tree[3][0] == "Recently finished"
    assert tree[-7:] == [
        "Open window",
        "Open zag folder",
        "Notify when agents end",
        "Notify when agents wait",
        "Start at login",
        "Settings…",
        "Quit",
    ]
    kill_tree = next(a for a in menu.actions()[3].menu().actions() if a.text() == "Kill tree (3)…")
    kill_tree.trigger()
    assert calls == [("kill_tree", ORCH)]
    populate(menu, observation, handlers(calls), observation.observed_at, MenuOptions(recent_seconds=60))
    assert "Recently finished" not in [a.text() for a in menu.actions()]  # all ended long ago


def test_menu_text_is_literal(base_dir: Path, agents: object, qtbot: QtBot) -> None:
    proc = agents("html")  # type: ignore[operator]
    write_one(base_dir, "html", proc.pid, provider="a&b", prompt="<b>x</b> & &&Kill")
    observation = Monitor(base_dir / "processes.json").observe()
    menu = QMenu()
    populate(menu, observation, handlers([]), now=observation.observed_at)
    sub = menu.actions()[2].menu()
    assert isinstance(sub, QMenu)
    # Qt shows "&&" as a literal "&": the visible title is exactly the stored text.
    assert sub.title().startswith("a&&b · sonnet — <b>x</b> && &&&&Kill — ")
    assert sub.title().replace("&&", "&").startswith("a&b · sonnet — <b>x</b> & &&Kill — ")


def controller_for(
    sample: LiveSample, answer: bool, opened: list[QUrl] | None = None
) -> tuple[AgentController, list[str]]:
    """A controller on ``sample`` whose confirmations answer ``answer``; the questions it asked.
    Its observations come from a monitor sharing its stop tracker (``settle``)."""
    asked: list[str] = []

    def confirm(question: Question) -> bool:
        asked.append(question.text)
        return answer

    recorder = opened if opened is not None else []
    monitor = Monitor(sample.path)
    controller = AgentController(
        sample.path,
        LivenessChecker(),
        confirm,
        open_url=lambda url: recorder.append(url) or True,
        tracker=monitor.tracker,
    )
    controller.observation = monitor.observe()
    controller.settle = lambda: setattr(controller, "observation", monitor.observe())  # type: ignore[attr-defined]
    return controller, asked


def stored_status(sample: LiveSample, entry_id: str) -> str:
    return stored_status_of(sample.path, entry_id)


def stored_status_of(store: Path, entry_id: str) -> str:
    return next(e["status"] for e in json.loads(store.read_bytes())["processes"] if e["id"] == entry_id)


def test_kill_with_confirmation_ends_the_agent_and_records_it(live_sample: LiveSample, qtbot: QtBot) -> None:
    controller, asked = controller_for(live_sample, answer=True)
    with qtbot.waitSignal(controller.signalled, timeout=10000):
        controller.kill(ORPHAN)
    assert "Kill agent?" in asked[0] and "pid " in asked[0]
    assert "/home/dev/docs" in asked[0]
    live_sample.procs[ORPHAN].wait(timeout=5)
    controller.settle()  # type: ignore[attr-defined]  # recorded once seen gone (at once, or now)
    assert stored_status(live_sample, ORPHAN) == "killed"
    assert all(live_sample.alive(i) for i in (ORCH, WORKER, GRANDCHILD))


def test_kill_tree_ends_the_subtree_and_no_bystander(live_sample: LiveSample, qtbot: QtBot) -> None:
    controller, asked = controller_for(live_sample, answer=True)
    with qtbot.waitSignal(controller.signalled, timeout=10000):
        controller.kill(ORCH, tree=True)
    assert "Kill 3 agents?" in asked[0]
    for entry_id in (ORCH, WORKER, GRANDCHILD):
        live_sample.procs[entry_id].wait(timeout=5)
    controller.settle()  # type: ignore[attr-defined]
    for entry_id in (ORCH, WORKER, GRANDCHILD):
        assert stored_status(live_sample, entry_id) == "killed"
    assert live_sample.alive(ORPHAN) and stored_status(live_sample, ORPHAN) == "running"


def test_cancelled_confirmation_leaves_everything_running(live_sample: LiveSample, qtbot: QtBot) -> None:
    before = live_sample.path.read_bytes()
    controller, asked = controller_for(live_sample, answer=False)
    with qtbot.assertNotEmitted(controller.finished):  # no kill ran
        controller.kill(ORCH, tree=True)
        controller.wait()  # a kill started would have run by now ...
        QApplication.processEvents()  # ... and its end been delivered
    assert len(asked) == 1 and "Kill 3 agents?" in asked[0]
    assert all(live_sample.alive(i) for i in (ORCH, WORKER, GRANDCHILD, ORPHAN))
    assert live_sample.path.read_bytes() == before


def test_kill_of_a_dead_agent_is_a_message(base_dir: Path, qtbot: QtBot) -> None:
    from tests.conftest import SAMPLE

    (base_dir / "processes.json").write_bytes(SAMPLE.read_bytes())
    controller = AgentController(base_dir / "processes.json", LivenessChecker(), lambda _: True)
    controller.observation = Monitor(base_dir / "processes.json").observe()
    with qtbot.waitSignal(controller.message, timeout=10000) as said:
        controller.kill(ORCH)
    assert said.args[0].startswith(f"agent {ORCH} is not running (dead)")


@pytest.mark.parametrize("kind", ["dir", "file", "missing", "none"])
def test_open_root_opens_only_an_existing_directory(
    live_sample: LiveSample, tmp_path: Path, qtbot: QtBot, kind: str
) -> None:
    script = tmp_path / "payload.sh"
    script.write_text("#!/bin/sh\necho owned\n")
    root = {"dir": str(tmp_path), "file": str(script), "missing": str(tmp_path / "gone"), "none": None}[kind]
    write_one(live_sample.base, "r", 1, root=root)
    opened: list[QUrl] = []
    controller, _ = controller_for(live_sample, answer=True, opened=opened)
    messages: list[str] = []
    controller.message.connect(messages.append)
    controller.open_root("r")
    if kind == "dir":
        assert opened == [QUrl.fromLocalFile(str(tmp_path))] and messages == []
    else:
        assert opened == [] and len(messages) == 1


def test_an_agent_that_ignores_sigterm_stays_running_with_force_kill_on_offer(
    base_dir: Path, handler_agent: object, qtbot: QtBot
) -> None:
    proc, _ = handler_agent("stubborn", "SIGTERM", "ignore")  # type: ignore[operator]
    store = write_one(base_dir, "stubborn", proc.pid)
    questions: list[Question] = []
    monitor = Monitor(store, tracker=StopTracker(grace=0.3))  # 5 s in the app
    controller = AgentController(
        store, LivenessChecker(), lambda q: questions.append(q) or True, tracker=monitor.tracker
    )
    controller.observation = monitor.observe()
    with qtbot.waitSignal(controller.signalled, timeout=10000):
        controller.kill("stubborn")
    seen = monitor.observe()
    assert [e.id for e in seen.running] == ["stubborn"]  # still counted, still shown
    assert outcome(seen.running[0], seen.state_of(seen.running[0])).label == "stopping…"
    qtbot.waitUntil(lambda: monitor.observe().ends.stopping["stubborn"].overdue, timeout=5000)
    seen = controller.observation = monitor.observe()
    assert outcome(seen.running[0], seen.state_of(seen.running[0])).label == "still running after SIGTERM"
    assert stored_status_of(store, "stubborn") == "running" and proc.poll() is None
    menu = QMenu()
    calls: list[tuple[str, str]] = []
    populate(menu, seen, handlers(calls), now=seen.observed_at)
    agent = tree_of(menu)[1]
    assert isinstance(agent, tuple) and agent[1][-1] == "Force kill…"
    controller.kill("stubborn", force=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10000)
    assert [q.title for q in questions] == ["Kill agent", "Force kill"]
    assert "is still running" in questions[1].text and "after SIGTERM" in questions[1].text
    assert questions[1].accept == "Force kill"
    monitor.observe()
    assert stored_status_of(store, "stubborn") == "killed"


def test_kill_from_the_tray_menu_goes_through_confirmation(
    live_sample: LiveSample, qtbot: QtBot, settings_file: Path
) -> None:
    from zag_tray.desktop.paths import BaseDirChoice
    from zag_tray.ui.app import build_tray

    tray = build_tray(BaseDirChoice(live_sample.base, "test"), settings_file)
    asked: list[str] = []
    tray.controller.confirm = lambda question: asked.append(question.text) or True
    tray.start()
    qtbot.waitUntil(lambda: tray.observation is not None, timeout=5000)
    tray.rebuild_menu()
    orphan_menu = tray.menu.actions()[2].menu()
    assert isinstance(orphan_menu, QMenu) and orphan_menu.title().startswith("ollama")
    next(a for a in orphan_menu.actions() if a.text() == "Kill…").trigger()
    live_sample.procs[ORPHAN].wait(timeout=10)
    qtbot.waitUntil(lambda: stored_status(live_sample, ORPHAN) == "killed", timeout=5000)
    assert len(asked) == 1 and "Kill agent?" in asked[0]
    tray.shutdown()


def test_long_lists_are_capped_with_a_pointer_to_the_window(base_dir: Path, qtbot: QtBot) -> None:
    entries = [entry(f"a{i:02d}", pid=100 + i) for i in range(30)]
    observation = factories.observation(entries, {e.id: LiveStatus.RUNNING for e in entries})
    calls: list[tuple[str, str]] = []
    menu = QMenu()
    populate(menu, observation, handlers(calls), now=observation.observed_at)
    agent_menus = [
        a for a in menu.actions() if isinstance(a.menu(), QMenu) and a.text() != "Recently finished"
    ]
    assert len(agent_menus) == 20
    more = next(a for a in menu.actions() if a.text() == "10 more — open the window")
    more.trigger()
    assert calls == [("open_window", "")]


def test_open_zag_folder_opens_the_base_dir(live_sample: LiveSample, qtbot: QtBot) -> None:
    opened: list[QUrl] = []
    controller, _ = controller_for(live_sample, answer=True, opened=opened)
    controller.open_folder()
    assert opened == [QUrl.fromLocalFile(str(live_sample.base))]


def test_open_root_with_no_file_manager_says_so_once(
    live_sample: LiveSample, tmp_path: Path, qtbot: QtBot
) -> None:
    write_one(live_sample.base, "r", 1, root=str(tmp_path))
    controller, _ = controller_for(live_sample, answer=True)
    controller.open_url = lambda url: False  # what QDesktopServices says with no handler for folders
    messages: list[str] = []
    controller.message.connect(messages.append)
    controller.open_root("r")
    controller.open_folder()
    assert messages == [
        f"Could not open {tmp_path}: no file manager is set up here",
        f"Could not open {live_sample.base}: no file manager is set up here",
    ]


def test_copy_id_confirms_briefly(live_sample: LiveSample, qtbot: QtBot) -> None:
    controller, _ = controller_for(live_sample, answer=True)
    with qtbot.waitSignal(controller.noted) as noted, qtbot.assertNotEmitted(controller.message):
        controller.copy_id(ORCH)
    assert noted.args == [f"Copied {ORCH} to the clipboard"]
    assert QApplication.clipboard().text() == ORCH


def test_rendering_the_menu_again_keeps_every_unchanged_action(base_dir: Path, qtbot: QtBot) -> None:
    """Each action kept is a DBusMenu item kept (its id): a host sees no relayout at rest."""
    entries = [entry(f"a{i}", pid=100 + i, prompt=f"task {i}") for i in range(3)]
    seen = factories.observation(entries, {e.id: LiveStatus.RUNNING for e in entries})
    menu = QMenu()
    options = MenuOptions(ticking=False)
    populate(menu, seen, handlers([]), now=seen.observed_at, options=options)
    before = [*menu.actions(), *(a for m in menu.findChildren(QMenu) for a in m.actions())]
    populate(menu, seen, handlers([]), now=seen.observed_at + 60, options=options)  # a minute on
    after = [*menu.actions(), *(a for m in menu.findChildren(QMenu) for a in m.actions())]
    assert after == before  # the very same QActions, none made anew
    populate(
        menu,
        seen,
        handlers([]),
        now=seen.observed_at,
        options=MenuOptions(ticking=False, notifications=False),
    )
    changed = menu.actions()
    notifications = next(n for n, a in enumerate(changed) if a.text() == "Notify when agents end")
    assert changed[:notifications] == before[:notifications]  # all above the first change kept
    assert not changed[notifications].isChecked()


def test_an_agent_whose_activity_changes_is_one_label_changed_in_place(base_dir: Path, qtbot: QtBot) -> None:
    """Its QAction (a DBusMenu id) kept, only its text and dot changed, and the header's line
    about it inserted: no relayout of the menu."""
    entries = [entry(f"a{i}", pid=100 + i, prompt=f"task {i}") for i in range(3)]
    seen = factories.observation(entries, {e.id: LiveStatus.RUNNING for e in entries})
    log = Path("/l.jsonl")
    working = with_activity(
        seen, {e.id: Activity(log, working_at=seen.observed_at) for e in entries}, frozenset(), None
    )
    menu = QMenu()
    populate(menu, working, handlers([]), now=seen.observed_at, options=MenuOptions(ticking=False))
    before = [*menu.actions(), *(a for m in menu.findChildren(QMenu) for a in m.actions())]
    waiting = dict(working.activity) | {"a1": Activity(log, waiting=True, waiting_at=seen.observed_at)}
    populate(
        menu,
        dataclasses.replace(working, activity=waiting),
        handlers([]),
        now=seen.observed_at,
        options=MenuOptions(ticking=False),
    )
    after = [*menu.actions(), *(a for m in menu.findChildren(QMenu) for a in m.actions())]
    (added,) = [action for action in after if action not in before]  # every one kept, one added
    assert added.text() == "1 waiting for you: claude · sonnet" and menu.actions()[1] is added
    assert [a for a in after if a is not added] == before
    label = next(a.text() for a in menu.actions() if a.text().startswith("claude · sonnet — waiting for you"))
    assert label.endswith(" — task 1")


def test_an_agent_that_starts_or_ends_is_one_submenu_inserted_or_removed(
    base_dir: Path, qtbot: QtBot
) -> None:
    entries = [entry(f"a{i}", minute=i, pid=100 + i, prompt=f"task {i}") for i in range(3)]
    newer = entry("a9", minute=9, pid=109, prompt="task 9")
    three = factories.observation(entries, {e.id: LiveStatus.RUNNING for e in entries})
    four = factories.observation([*entries, newer], {e.id: LiveStatus.RUNNING for e in [*entries, newer]})
    menu, options = QMenu(), MenuOptions(ticking=False)
    populate(menu, three, handlers([]), now=three.observed_at, options=options)
    agents = {a.menu().title(): a for a in menu.actions() if a.menu() is not None}
    populate(menu, four, handlers([]), now=four.observed_at, options=options)
    shown = [a for a in menu.actions() if a.menu() is not None]
    assert shown[0].menu().title().startswith("claude · sonnet — task 9") and shown[1:4] == list(
        agents.values()
    )
    populate(menu, three, handlers([]), now=three.observed_at, options=options)
    assert [a for a in menu.actions() if a.menu() is not None] == list(agents.values())
