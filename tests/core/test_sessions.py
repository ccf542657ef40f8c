"""Finding and following session logs (sessions/): by offset, partial lines, truncation,
replacement, malformed lines, hostile files; the lookups of an entry's log."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from msgspec.structs import replace

from tests.factories import entry_now
from tests.session_logs import (
    SessionLog,
    agent_dir,
    index_row,
    log_path,
    project_row,
    write_project_index,
    write_sessions_index,
    zag_time,
)
from zag_tray.agents.activity import ActivityState
from zag_tray.sessions import follow
from zag_tray.sessions.follow import LogFollower
from zag_tray.sessions.locate import LogLocator, sanitized
from zag_tray.sessions.tracker import ActivityTracker, read_activity

S = ActivityState


def started_log(path: Path, command: str = "exec", **log: object) -> SessionLog:
    writer = SessionLog(path, **log)  # type: ignore[arg-type]
    writer.session_started(command)
    return writer


# --- following ---------------------------------------------------------------------------------


def test_a_log_is_followed_by_offset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = started_log(tmp_path / "a.jsonl")
    log.user_message("go")
    follower = LogFollower(log.path)
    assert follower.poll() and follower.activity().turns == 1
    read: list[int] = []
    real = os.pread
    monkeypatch.setattr(follow.os, "pread", lambda fd, n, at: read.append(n) or real(fd, n, at))
    assert not follower.poll() and read == []  # unchanged: a stat, nothing read
    line = log.tool_call("Bash", "t1")
    assert follower.poll()
    # The new line; the file's first bytes and the byte before the new line checked.
    assert sum(read) <= len(line) + 1 + follow._HEAD_CHECKED + 2
    assert follower.activity().tool == "Bash"


def test_the_first_read_starts_at_the_last_session_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = started_log(tmp_path / "a.jsonl", "run")
    for _ in range(2000):
        log.tool_result("t", "Bash", output="x" * 2000)  # 4 MB of an earlier run
    log.tool_call("Write", "t2", {"content": '{"type":"session_started"}'})  # nested: not a start
    log.session_ended()
    log.session_started("run", resumed=True)
    log.user_message("again")
    size = log.path.stat().st_size
    read: list[int] = []
    real = os.pread
    monkeypatch.setattr(follow.os, "pread", lambda fd, n, at: read.append(n) or real(fd, n, at))
    follower = LogFollower(log.path)
    follower.poll()
    activity = follower.activity()
    assert (activity.state_at(time.time()), activity.turns, activity.command) == (S.WORKING, 1, "run")
    assert sum(read) < follow.CHUNK + 3 * follow.NEAR and size > follow.CHUNK  # one chunk back, not all


def test_a_partial_line_waits_for_its_end(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl")
    line = log.line("tool_call", {"tool_name": "Bash", "tool_id": "t1", "input": None}) + "\n"
    follower = LogFollower(log.path)
    follower.poll()
    with log.path.open("a", encoding="utf-8") as out:
        out.write(line[:30])
    assert follower.poll() and follower.activity().tool is None
    with log.path.open("a", encoding="utf-8") as out:
        out.write(line[30:])
    follower.poll()
    assert follower.activity().tool == "Bash" and follower.activity().malformed == 0


def test_malformed_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl")
    with log.path.open("ab") as out:
        out.write(b'not json\n\xff\xfe\n[1,2]\n{}\n{"type":3}\n\n   \n')
    log.user_message("still read")
    follower = LogFollower(log.path)
    follower.poll()
    assert (follower.activity().malformed, follower.activity().turns) == (5, 1)


def test_a_truncated_log_is_read_anew(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl")
    log.session_ended()
    follower = LogFollower(log.path)
    follower.poll()
    assert follower.activity().ended
    log.path.write_bytes(b"")
    started_log(log.path, "run")
    follower.poll()
    assert not follower.activity().ended and follower.activity().command == "run"


def test_a_replaced_log_is_read_anew(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl")
    follower = LogFollower(log.path)
    follower.poll()
    other = started_log(tmp_path / "b.jsonl", "interactive")
    for _ in range(5):
        other.user_message("a longer log than the first")
    os.replace(other.path, log.path)
    follower.poll()
    assert follower.activity().command == "interactive" and follower.activity().turns == 5


def test_a_log_rewritten_in_place_is_read_anew(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl", "run")
    follower = LogFollower(log.path)
    follower.poll()
    other = started_log(tmp_path / "b.jsonl", "interactive")
    other.user_message("x")
    with log.path.open("r+b") as out:  # same inode, longer, not an append
        out.write(other.path.read_bytes())
    follower.poll()
    assert follower.activity().command == "interactive" and follower.activity().turns == 1


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "a.jsonl"
    os.mkfifo(fifo)
    done = threading.Event()

    def poll() -> None:
        follower = LogFollower(fifo)
        assert not follower.poll() and follower.refused == "not a regular file"
        done.set()

    threading.Thread(target=poll, daemon=True).start()
    assert done.wait(5), "polling a FIFO blocked"


def test_a_device_is_never_read(tmp_path: Path) -> None:
    link = tmp_path / "a.jsonl"
    link.symlink_to("/dev/zero")
    follower = LogFollower(link)
    assert not follower.poll() and follower.refused == "not a regular file"


def test_a_huge_log_is_read_from_its_end_in_bounded_time(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with path.open("wb") as out:
        out.truncate(2 << 30)  # 2 GB of NUL bytes, sparse: no line, no session_started
        out.seek(0, os.SEEK_END)
        out.write(b"\n")
    log = SessionLog(path)
    log.user_message("after the hole")
    follower = LogFollower(path)
    started = time.monotonic()
    follower.poll()
    assert time.monotonic() - started < 10
    activity = follower.activity()
    assert activity.turns == 1 and activity.malformed == 0  # the cut line is dropped, not counted


def test_an_over_long_line_is_decoded_from_its_head(tmp_path: Path) -> None:
    log = started_log(tmp_path / "a.jsonl", "run")
    log.tool_call("Bash", "t1")
    log.tool_result("t1", "Bash", success=False, output="o" * (5 << 20))
    follower = LogFollower(log.path)
    follower.poll()
    assert follower.activity().tool is None and follower.activity().steps[-1].outcome == "failed"


# --- finding ------------------------------------------------------------------------------------


def test_sanitized_is_zags() -> None:
    assert sanitized("/home/u/my proj") == "home-u-my proj"
    assert sanitized("//a/b/") == "a-b-"


def test_a_log_is_found_by_path_project_index_or_global_index(base_dir: Path) -> None:
    locator = LogLocator(base_dir)
    direct = entry_now("e1", pid=1, root="/home/u/proj")
    started_log(log_path(base_dir, "/home/u/proj", direct.session_id or ""))
    assert locator.find(direct) == log_path(base_dir, "/home/u/proj", direct.session_id or "")
    indexed = entry_now("e2", pid=1, root="/home/u/proj")
    elsewhere = base_dir / "projects" / "home-u-proj-wt" / "logs" / "sessions" / "x.jsonl"
    started_log(elsewhere)
    write_project_index(
        agent_dir(base_dir, "/home/u/proj"), [project_row(indexed.session_id or "", elsewhere)]
    )
    assert locator.find(indexed) == elsewhere
    global_ = entry_now("e3", pid=1)
    other = tmp = base_dir / "projects" / "home-u-git" / "logs" / "sessions" / "y.jsonl"
    started_log(tmp)
    write_sessions_index(base_dir, [index_row(global_.session_id or "", other)])
    assert locator.find(global_) == other


def test_a_dangling_or_hostile_index_path_is_no_log(base_dir: Path) -> None:
    locator = LogLocator(base_dir)
    gone, fifo, relative = (entry_now(f"e{i}", pid=1) for i in range(3))
    os.mkfifo(base_dir / "f.jsonl")
    rows = [
        index_row(gone.session_id or "", base_dir / "gc-deleted.jsonl"),
        index_row(fifo.session_id or "", base_dir / "f.jsonl"),
        {"session_id": relative.session_id, "log_path": "f.jsonl"},
        {"session_id": 3, "log_path": None},
        "not a row",
    ]
    write_sessions_index(base_dir, rows)  # type: ignore[arg-type]
    assert [locator.find(e) for e in (gone, fifo, relative)] == [None, None, None]
    (base_dir / "sessions_index.json").write_bytes(b"\x00garbage")
    assert locator.find(gone) is None


def test_a_session_id_is_never_a_path(base_dir: Path) -> None:
    started_log(base_dir / "logs" / "x.jsonl")
    assert LogLocator(base_dir).find(replace(entry_now(pid=1), session_id="../x")) is None


def _plain(
    base: Path, root: str | None = None, provider: str = "claude", **fields: object
) -> tuple[object, Path]:
    """A plain ``zag exec`` entry started now and its log, as zag writes them."""
    entry = replace(
        entry_now(f"plain-{provider}-{root}", pid=1, provider=provider, root=root), session_id=None
    )
    path = log_path(base, root, f"{time.monotonic_ns()}")
    log = SessionLog(path, provider=provider)
    log.session_started("exec", at=(entry.started or 0) + 0.002)
    return entry, path


def test_a_plain_exec_is_linked_to_its_log_by_the_rule(base_dir: Path) -> None:
    entry, path = _plain(base_dir)
    assert LogLocator(base_dir).link(entry, set()) == path  # type: ignore[arg-type]
    rooted, rooted_path = _plain(base_dir, root="/home/u/proj")
    assert LogLocator(base_dir).link(rooted, set()) == rooted_path  # type: ignore[arg-type]
    assert LogLocator(base_dir).link(rooted, {str(rooted_path)}) is None  # type: ignore[arg-type]


def test_a_plain_exec_in_a_git_repository_is_found_in_its_project(base_dir: Path) -> None:
    entry = replace(entry_now("p", pid=1), session_id=None)
    path = log_path(base_dir, "/home/u/repo", "uuid-1")
    SessionLog(path).session_started("exec", at=(entry.started or 0) + 0.002)
    assert LogLocator(base_dir).link(entry, set()) == path


def test_a_plain_exec_with_two_fitting_logs_or_none_is_not_linked(base_dir: Path) -> None:
    entry, _ = _plain(base_dir)
    SessionLog(log_path(base_dir, None, "twin")).session_started("exec", at=(entry.started or 0) + 1)  # type: ignore[attr-defined]
    assert LogLocator(base_dir).link(entry, set()) is None  # type: ignore[arg-type]
    other, _ = _plain(base_dir, root="/r", provider="codex")
    SessionLog(log_path(base_dir, "/r", "late")).session_started("exec", at=(other.started or 0) + 30)  # type: ignore[attr-defined]
    wrong = SessionLog(log_path(base_dir, "/r", "gemini"), provider="gemini")
    wrong.session_started("exec", at=other.started)  # type: ignore[attr-defined]
    assert LogLocator(base_dir).link(other, set()) is not None  # only the codex one, 2 ms after  # type: ignore[arg-type]


def test_a_resumed_run_is_linked_by_its_last_session_started(base_dir: Path) -> None:
    entry = replace(entry_now("r", pid=1, command="run", root="/p"), session_id=None)
    log = SessionLog(log_path(base_dir, "/p", "old-session"))
    log.session_started("run", at=(entry.started or 0) - 86400)
    log.session_ended(at=(entry.started or 0) - 86000)
    log.session_started("run", resumed=True, at=(entry.started or 0) + 0.002)
    assert LogLocator(base_dir).link(entry, set()) == log.path


# --- the tracker --------------------------------------------------------------------------------


def test_the_tracker_follows_running_agents_only_and_forgets_the_others(base_dir: Path) -> None:
    tracker = ActivityTracker(base_dir)
    one, two = entry_now("one", pid=1), entry_now("two", pid=1)
    started_log(log_path(base_dir, None, one.session_id or "")).user_message("hi")
    now = time.time()
    found = tracker.update([one, two], now)
    assert found["one"].turns == 1 and found["two"].state_at(now) is S.UNKNOWN
    assert tracker.followed == {log_path(base_dir, None, one.session_id or "")}
    started_log(log_path(base_dir, None, two.session_id or ""))
    assert tracker.update([one, two], now + 0.1)["two"].state_at(now) is S.UNKNOWN  # looked for again later
    assert tracker.update([one, two], now + 1)["two"].state_at(now) is S.WORKING
    tracker.update([two], now + 2)
    assert tracker.followed == {log_path(base_dir, None, two.session_id or "")}


def test_read_activity_reads_a_finished_agents_log_once(base_dir: Path) -> None:
    done = entry_now("done", pid=1, status="exited")
    log = started_log(log_path(base_dir, None, done.session_id or ""))
    log.assistant_message("the answer")
    log.usage(10, 2, total_cost_usd=0.01)
    log.session_ended(at=time.time())
    activity = read_activity(base_dir, done)
    assert (activity.state_at(time.time()), activity.result, activity.usage.cost_usd) == (
        S.FINISHED,
        "the answer",
        0.01,
    )


def test_zag_time_is_rfc3339_with_chronos_digits() -> None:
    assert zag_time(0) == "1970-01-01T00:00:00+00:00"
    assert zag_time(0.5) == "1970-01-01T00:00:00.500+00:00"
    assert zag_time(0.000001) == "1970-01-01T00:00:00.000001+00:00"
