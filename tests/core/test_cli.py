"""The ``zag-tray`` command line: output, JSON shape, exit codes, no Qt, bad stores."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from tests.conftest import GRANDCHILD, ORCH, ORPHAN, SAMPLE, WORKER, LiveSample
from tests.core.test_store_read import BAD_STORES
from tests.factories import entries_in, make_entry, stored, write_one, write_store
from zag_tray.cli import main
from zag_tray.desktop.logs import log_path

Run = Callable[..., subprocess.CompletedProcess[str]]
HandlerAgent = Callable[[str, str, str], tuple[subprocess.Popen[bytes], Path]]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_is_the_running_tree_with_stored_keys_first(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "list", "--json", "--base-dir", str(live_sample.base))
    assert code == 0 and err == ""
    roots = json.loads(out)
    assert [r["id"] for r in roots] == [ORPHAN, ORCH]  # newest first
    orchestrator = roots[1]
    assert list(orchestrator)[:15] == list(json.loads(SAMPLE.read_bytes())["processes"][1])
    assert list(orchestrator)[15:] == ["live_status", "activity", "children"]
    assert orchestrator["future_field"] == {"kept": True}
    assert [c["id"] for c in orchestrator["children"]] == [WORKER]  # the killed one is not running
    assert [c["id"] for c in orchestrator["children"][0]["children"]] == [GRANDCHILD]
    assert {r["live_status"] for r in roots} == {"running"}


def test_list_all_json_has_every_entry_with_live_status(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "list", "--all", "--json", "--base-dir", str(live_sample.base))
    flat: dict[str, str] = {}
    stack = json.loads(out)
    while stack:
        node = stack.pop()
        flat[node["id"]] = node["live_status"]
        stack.extend(node["children"])
    assert code == 0 and len(flat) == 7
    assert flat["7b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d04"] == "killed"
    assert flat["ae6f7a8b-9c0d-4e1f-2a3b-4c5d6e7f8a07"] == "exited"


HEADER = ["ID", "AGENT", "COMMAND", "STATUS", "ACTIVITY", "PID", "STARTED", "RUNTIME", "ROOT", "PROMPT"]


def columns_of(lines: list[str]) -> list[list[str]]:
    """Each line cut where the header's columns start: a misaligned cell shows as a cut word."""
    starts = [lines[0].index(name) for name in HEADER]
    return [[line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)] for line in lines]


def test_list_is_a_table_under_a_header_with_the_tree_first(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "list", "--base-dir", str(live_sample.base))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5
    assert lines[0].split() == HEADER
    pids = {entry_id: str(proc.pid) for entry_id, proc in live_sample.procs.items()}
    rows = columns_of(lines)
    assert rows[1] == [
        "9d5e6f7a", "ollama · qwen3.5", "exec", "running", "—", pids[ORPHAN], rows[1][6], rows[1][7],
        "/home/dev/docs", "Übersetze die README ins Deutsche — “quoted” ✓",
    ]  # fmt: skip
    assert rows[1][6].endswith(" ago") and rows[1][7][0].isdigit()  # started: an age; the runtime
    assert [row[:6] for row in rows[2:]] == [  # no session logs here: no activity
        ["5f1c2d3e", "claude · opus", "run", "running", "—", pids[ORCH]],
        ["└─ 6a2b3c4d", "codex · gpt-5", "exec", "running", "—", pids[WORKER]],
        ["└─ 8c4d5e6f", "claude · sonnet", "exec", "running", "—", pids[GRANDCHILD]],
    ]
    assert lines[4].startswith("   └─ 8c4d5e6f  ")  # the tree drawn in the ID column
    assert "\x1b" not in out  # captured, not a terminal: no colour, lines not cut


def test_list_elides_huge_and_multiline_prompts(
    base_dir: Path, agents: Callable[..., subprocess.Popen[bytes]], capsys: pytest.CaptureFixture[str]
) -> None:
    proc = agents("big")
    write_one(base_dir, "big", proc.pid, prompt="line one\nline two " + "x" * 5_000_000)
    code, out, _ = cli(capsys, "list", "--base-dir", str(base_dir))
    assert code == 0 and len(out.splitlines()) == 2 and len(out) < 500
    assert "line one line two" in out and out.rstrip().endswith("x…")


def test_show_prints_every_field_and_the_reason(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "show", "5f1c", "--base-dir", str(live_sample.base))
    assert code == 0
    assert 'future_field       {"kept": true}' in out
    assert "live               running — ZAG_PROCESS_ID names this entry" in out
    code, out, _ = cli(capsys, "show", ORCH, "--json", "--base-dir", str(live_sample.base))
    shown = json.loads(out)
    assert shown["id"] == ORCH and shown["live_status"] == "running" and len(shown["children"]) == 2


def test_kill_by_prefix_then_list_shows_it_gone(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "kill", "9d5e6f7a", "--base-dir", str(live_sample.base))
    assert code == 0, err
    assert out.startswith(f"SIGTERM sent to {ORPHAN} (pid ")
    assert not live_sample.alive(ORPHAN)
    code, out, _ = cli(capsys, "list", "--json", "--base-dir", str(live_sample.base))
    assert [r["id"] for r in json.loads(out)] == [ORCH]


def test_kill_tree_from_the_cli(live_sample: LiveSample, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "kill", ORCH, "--tree", "--base-dir", str(live_sample.base))
    assert code == 0 and len(out.splitlines()) == 3
    assert live_sample.alive(ORPHAN) and not live_sample.alive(ORCH)


def test_kill_of_a_stubborn_agent_says_use_force(
    base_dir: Path, handler_agent: HandlerAgent, capsys: pytest.CaptureFixture[str]
) -> None:
    proc, _ = handler_agent("stubborn-agent", "SIGTERM", "ignore")
    write_one(base_dir, "stubborn-agent", proc.pid)
    code, _, err = cli(capsys, "kill", "stubborn-agent", "--base-dir", str(base_dir))
    assert code == 1
    assert err == (
        f"zag-tray: still running 3 s after SIGTERM: stubborn (pid {proc.pid}); "
        "`zag-tray kill stubborn-agent --force` sends SIGKILL\n"
    )
    assert entries_in(base_dir / "processes.json")["stubborn-agent"]["status"] == "running"  # it is
    code, _, err = cli(capsys, "kill", "stubborn-agent", "--force", "--base-dir", str(base_dir))
    assert code == 0, err
    assert entries_in(base_dir / "processes.json")["stubborn-agent"]["status"] == "killed"
    # The in-process CLI waited for (and so reaped) its own child; the pid is simply gone.
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["kill", "nope"], "no agent with id 'nope'"),
        (["stop", "nope"], "no agent with id 'nope'"),
        (["show", "nope"], "no agent with id 'nope'"),
        (["kill", ORCH], "is not running (dead): no process has pid 42000"),
    ],
)
def test_failures_are_one_line_and_exit_1(
    base_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (base_dir / "processes.json").write_bytes(SAMPLE.read_bytes())
    code, out, err = cli(capsys, *args, "--base-dir", str(base_dir))
    assert (code, out) == (1, "")
    assert err.startswith("zag-tray: ") and message in err and err.count("\n") == 1
    assert (base_dir / "processes.json").read_bytes() == SAMPLE.read_bytes()


def test_usage_errors_exit_2(run_cli: Run) -> None:
    result = run_cli("kill")
    assert result.returncode == 2 and "usage:" in result.stderr
    assert run_cli("frobnicate").returncode == 2


@pytest.mark.parametrize("name", BAD_STORES)
@pytest.mark.parametrize("command", [["list"], ["kill", ORCH]])
def test_bad_store_is_one_line_exit_1_and_nothing_written(
    base_dir: Path, capsys: pytest.CaptureFixture[str], name: str, command: list[str]
) -> None:
    data, _, fragment = BAD_STORES[name]
    store = base_dir / "processes.json"
    store.write_bytes(data)
    code, out, err = cli(capsys, *command, "--base-dir", str(base_dir))
    assert (code, out) == (1, "")
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err
    assert store.read_bytes() == data and os.listdir(base_dir) == ["processes.json"]


@pytest.mark.parametrize("args", [["list", "--all"], ["list", "--all", "--json"]])
def test_a_reader_that_stops_early_ends_the_command_at_once_quietly(base_dir: Path, args: list[str]) -> None:
    """``list --all | head``: nothing on stderr, and exit 1 (not all of the output was taken), as
    a failed write ends every command. Many batches of output: the reader is gone at the next."""
    items = [stored(f"e-{i:05d}", minute=i % 60, status="exited", exit_code=0) for i in range(10_000)]
    write_store(base_dir, items)
    argv = [sys.executable, "-m", "zag_tray", *args, "--base-dir", str(base_dir)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as command:
        assert command.stdout is not None and command.stderr is not None
        assert command.stdout.readline()  # the header, or the JSON's "["
        command.stdout.close()
        assert (command.wait(timeout=60), command.stderr.read()) == (1, b"")


def test_fifo_store_fails_fast_through_the_real_command(base_dir: Path, run_cli: Run) -> None:
    os.mkfifo(base_dir / "processes.json")
    result = run_cli("list", "--base-dir", str(base_dir), timeout=20)  # a hang fails here
    assert result.returncode == 1
    assert result.stderr.strip().endswith("processes.json: not a regular file (a FIFO)")


def test_directory_and_loop_stores_fail_with_one_line(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (base_dir / "processes.json").mkdir()
    code, _, err = cli(capsys, "list", "--base-dir", str(base_dir))
    assert code == 1 and "not a regular file (a directory)" in err
    (base_dir / "processes.json").rmdir()
    (base_dir / "processes.json").symlink_to(base_dir / "processes.json")
    code, _, err = cli(capsys, "kill", ORCH, "--base-dir", str(base_dir))
    assert code == 1 and "cannot open: Too many levels of symbolic links" in err


def test_permission_denied_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "zag"
    base.mkdir()
    store = base / "processes.json"
    store.write_bytes(SAMPLE.read_bytes())
    store.chmod(0)
    for folder in (base, tmp_path, tmp_path.parent):
        folder.chmod(0o755)
    # Root ignores permission bits, so as root the command runs with the euid of "nobody".
    as_nobody = os.geteuid() == 0
    if as_nobody:
        os.seteuid(65534)
    try:
        code, out, err = cli(capsys, "list", "--base-dir", str(base))
    finally:
        if as_nobody:
            os.seteuid(0)
    assert (code, out) == (1, "")
    assert err.strip().endswith("processes.json: cannot open: Permission denied")
    assert store.stat().st_size == len(SAMPLE.read_bytes())


def test_fresh_home_lists_no_agents(fake_home: Path, run_cli: Run) -> None:
    assert not (fake_home / ".zag").exists()
    result = run_cli("list")
    assert result.returncode == 0
    assert result.stdout.startswith(f"No running agents in {fake_home}/.zag/processes.json")
    result = run_cli("list", "--json")
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_where_prints_the_choice_and_the_reason(fake_home: Path, run_cli: Run, tmp_path: Path) -> None:
    out = run_cli("where").stdout
    assert f"base dir: {fake_home}/.zag (does not exist)\n" in out and "does not exist yet" in out
    assert f"store:    {fake_home}/.zag/processes.json (does not exist: no agents yet)\n" in out
    assert f"settings: {fake_home}/.config/zag-tray/settings.json (" in out
    out = run_cli("where", env={**os.environ, "ZAG_TRAY_BASE_DIR": str(tmp_path)}).stdout
    assert f"base dir: {tmp_path} (exists)\nreason:   set by ZAG_TRAY_BASE_DIR" in out


def test_headless_commands_do_not_import_qt(live_sample: LiveSample) -> None:
    commands = [["list"], ["list", "--all", "--json"], ["where"], ["show", "5f1c"]]
    _assert_after(
        live_sample, commands, "not [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))]"
    )


def _assert_after(live_sample: LiveSample, commands: list[list[str]], *facts: str) -> None:
    """Each of ``facts`` (Python expressions) true in a new process after it ran ``commands``
    on the live sample, one after another."""
    code = "import sys\nfrom zag_tray.cli import main\n" + "".join(
        f"assert main([*{args!r}, '--base-dir', {str(live_sample.base)!r}]) == 0\n" for args in commands
    )
    code += "".join(f"assert {fact}, {fact!r}\n" for fact in facts)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_tray_without_a_display_is_one_line_not_an_abort(run_cli: Run) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for command in ([], ["demo"]):
        result = run_cli(*command, env=env)
        assert result.returncode == 1
        assert (
            result.stderr
            == "zag-tray: no display to show the tray on (DISPLAY and WAYLAND_DISPLAY are unset)\n"
        )


@pytest.mark.parametrize("where", ["before", "after"])
def test_base_dir_is_honoured_before_or_after_the_command(
    base_dir: Path, fake_home: Path, run_cli: Run, where: str
) -> None:
    """Given before the command it used to be dropped, so `kill` acted on ~/.zag instead."""
    write_one(base_dir, "elsewhere-1", 999_999, status="exited", exit_code=0)
    flag = ["--base-dir", str(base_dir)]
    args = [*flag, "list", "--all"] if where == "before" else ["list", "--all", *flag]
    result = run_cli(*args, env={**os.environ, "HOME": str(fake_home)})
    rows = result.stdout.splitlines()[1:]  # under the header
    assert result.returncode == 0 and rows[0].startswith("elsewher ")  # the id's first 8


# --- issue 13: the CLI reads like the tools people know ----------------------------------------


def test_show_gives_times_local_and_human_and_json_as_stored(base_dir: Path, run_cli: Run) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    started, ended = now - timedelta(minutes=3), now - timedelta(seconds=30)
    write_store(
        base_dir,
        [
            make_entry(
                pid=999_999, entry_id="timed-agent", status="exited", exit_code=0,
                started_at=started.isoformat(), exited_at=ended.isoformat(),
            ),
            make_entry(pid=999_998, entry_id="odd-time", started_at="last tuesday", status="exited"),
        ],
    )  # fmt: skip
    env = {**os.environ, "TZ": "UTC"}
    out = run_cli("show", "timed-agent", "--base-dir", str(base_dir), env=env).stdout
    # (A run across midnight would say "yesterday": today's date is read once, before the run.)
    day = "today" if started.date() == datetime.now(UTC).date() else "yesterday"
    assert f"started_at         {day} {started:%H:%M:%S} (3 min ago)\n" in out
    assert re.search(r"exited_at          (today|yesterday) \d\d:\d\d:\d\d \(3\d s ago\)\n", out)
    shown = json.loads(run_cli("show", "timed-agent", "--json", "--base-dir", str(base_dir)).stdout)
    assert (shown["started_at"], shown["exited_at"]) == (started.isoformat(), ended.isoformat())
    out = run_cli("show", "odd-time", "--base-dir", str(base_dir), env=env).stdout
    assert "started_at         last tuesday\n" in out  # not RFC 3339: as stored, no time worked out


IDS = [
    "5f1c2d3e-0000-4000-8000-000000000001",
    "5f1c2d3e-0000-4000-8000-000000000002",
    "abcdef12-0000-4000-8000-000000000003",
]


@pytest.mark.parametrize(
    ("ident", "found", "message"),
    [
        ("5f1", None, "no agent with id '5f1': prefix too short (at least 4 characters)"),
        ("ABCDEF12", IDS[2], None),  # hex: any case
        ("AbCd", IDS[2], None),
        (IDS[2].upper(), IDS[2], None),
        ("5F1C", None, f"'5F1C' matches 2 agents: {IDS[1]}, {IDS[0]}; give more of the id"),
    ],
)
def test_id_prefixes(
    base_dir: Path, capsys: pytest.CaptureFixture[str], ident: str, found: str | None, message: str | None
) -> None:
    write_store(base_dir, [stored(agent_id, minute=i, status="exited") for i, agent_id in enumerate(IDS)])
    code, out, err = cli(capsys, "show", ident, "--json", "--base-dir", str(base_dir))
    if found:
        assert (code, json.loads(out)["id"], err) == (0, found, "")
    else:
        assert (code, out, err) == (1, "", f"zag-tray: {message}\n")


def test_an_ambiguous_prefix_names_ten_candidates_escaped_and_counts_the_rest(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = [f"same\x1b]0;t\x07{i:02d}" for i in range(13)]
    write_store(base_dir, [stored(agent_id, minute=i, status="exited") for i, agent_id in enumerate(ids)])
    code, _, err = cli(capsys, "kill", "same", "--base-dir", str(base_dir))
    named = ", ".join(
        r"same\x1b]0;t\x0712" if i == 0 else rf"same\x1b]0;t\x07{12 - i:02d}" for i in range(10)
    )
    assert (code, err) == (
        1,
        f"zag-tray: 'same' matches 13 agents: {named} and 3 more; give more of the id\n",
    )


def test_a_non_hex_id_matches_in_its_own_case_only_and_a_running_duplicate_wins(
    base_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_store(
        base_dir,
        [
            stored("Worker-1", status="running", pid=4_000_001),
            stored("Worker-1", minute=1, status="exited", pid=4_000_002),
            stored("dup-agent-1", status="running", pid=4_000_003),
            stored("dup-agent-1", minute=1, status="killed", pid=4_000_004),
        ],
    )
    code, _, err = cli(capsys, "show", "worker-1", "--base-dir", str(base_dir))
    assert code == 1 and "no agent with id 'worker-1'" in err
    for ident, pid in (("Worker", 4_000_001), ("dup-agent-1", 4_000_003)):
        code, out, _ = cli(capsys, "show", ident, "--json", "--base-dir", str(base_dir))
        assert (code, json.loads(out)["pid"]) == (0, pid)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_named_base_dir_that_does_not_exist_is_warned_of(tmp_path: Path, run_cli: Run, how: str) -> None:
    missing = tmp_path / "typo"
    flag, env = (
        (["--base-dir", str(missing)], os.environ)
        if how == "flag"
        else ([], {**os.environ, "ZAG_TRAY_BASE_DIR": str(missing)})
    )
    result = run_cli("list", *flag, env=env)
    reason = "given with --base-dir" if how == "flag" else "set by ZAG_TRAY_BASE_DIR"
    assert result.returncode == 0 and result.stdout.startswith("No running agents in ")
    assert result.stderr == f"zag-tray: warning: {missing} does not exist ({reason})\n"
    result = run_cli("list", "--json", *flag, env=env)
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (0, "[]\n", 1)
    (tmp_path / "file").write_text("")
    result = run_cli("list", "--base-dir", str(tmp_path / "file"))
    assert (
        "zag-tray: warning: " in result.stderr
        and "is not a directory (given with --base-dir)" in result.stderr
    )


def test_the_default_base_dir_missing_is_a_fresh_install_not_a_warning(fake_home: Path, run_cli: Run) -> None:
    result = run_cli("list", env={**os.environ, "HOME": str(fake_home)})
    assert (result.returncode, result.stderr) == (0, "")


def test_list_json_flat_is_one_object_per_agent_with_its_parent(
    live_sample: LiveSample, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "list", "--all", "--json", "--flat", "--base-dir", str(live_sample.base))
    flat = json.loads(out)
    assert code == 0 and len(flat) == 7
    by_id = {agent["id"]: agent for agent in flat}
    assert by_id[ORCH]["parent"] is None and by_id[WORKER]["parent"] == ORCH
    assert by_id[GRANDCHILD]["parent"] == WORKER and by_id[ORCH]["live_status"] == "running"
    stored_keys = list(json.loads(SAMPLE.read_bytes())["processes"][1])
    assert (
        list(by_id[ORCH]) == [*stored_keys, "live_status", "activity", "parent"]
        and "children" not in by_id[WORKER]
    )
    assert [a["id"] for a in flat].index(WORKER) < [a["id"] for a in flat].index(
        GRANDCHILD
    )  # the tree's order
    code, out, _ = cli(capsys, "list", "--json", "--base-dir", str(live_sample.base))
    assert "children" in json.loads(out)[0]  # nested stays the default


def test_flat_without_json_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli("list", "--flat")
    assert result.returncode == 2 and "--flat goes with --json" in result.stderr


def log_lines() -> list[str]:
    path = log_path()
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_kills_stops_and_store_errors_go_to_the_tray_s_log(
    base_dir: Path, agents: Callable[..., subprocess.Popen[bytes]], run_cli: Run
) -> None:
    stopped, killed = agents("stop-me"), agents("kill\x1b[2J-me")
    threading.Thread(target=killed.wait, daemon=True).start()  # reaped: the CLI sees it gone
    write_store(
        base_dir,
        [make_entry(pid=p.pid, entry_id=i) for p, i in ((stopped, "stop-me"), (killed, "kill\x1b[2J-me"))],
    )
    before = len(log_lines())
    assert run_cli("stop", "stop-me", "--base-dir", str(base_dir)).returncode == 0
    assert run_cli("kill", "kill", "--base-dir", str(base_dir)).returncode == 0
    assert run_cli("kill", "kill", "--base-dir", str(base_dir)).returncode == 1  # not running now
    (base_dir / "processes.json").write_text("{ not json")
    assert run_cli("list", "--base-dir", str(base_dir)).returncode == 1
    new = [line.split(" ", 2)[2] for line in log_lines()[before:]]  # after the date and the time
    title = "claude · sonnet"
    assert new[:3] == [
        f"zag_tray.cli INFO: stop stop-me: SIGHUP sent to stop-me (pid {stopped.pid}, {title})",
        rf"zag_tray.cli INFO: kill kill: SIGTERM sent to kill\x1b[2J-me (pid {killed.pid}, {title})",
        r"zag_tray.cli WARNING: kill kill: refused: agent kill\x1b[2J-me is not running (killed): "
        "stored status is 'killed'",
    ]
    assert new[3].startswith("zag_tray.cli ERROR: list: store error: ") and "processes.json" in new[3]
    assert len(new) == 4


def test_what_list_and_show_build_is_kept_only_by_the_console_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """run() exits without freeing what a command built (cli.keep); main() called otherwise
    (here, the tests) keeps nothing, and the output is the same either way."""
    import zag_tray.cli as cli

    write_store(
        tmp_path, [stored("aa11-one", minute=1, status="exited", exit_code=0), stored("bb22", minute=2)]
    )
    argv = ["--base-dir", str(tmp_path)]
    for args in (["list", "--all", "--json"], ["list", "--json"], ["show", "aa11"]):
        assert main([*args, *argv]) == 0 and cli._kept is None
        freed = capsys.readouterr()
        monkeypatch.setattr(cli, "_kept", [])
        assert main([*args, *argv]) == 0 and cli._kept
        assert capsys.readouterr() == freed
        monkeypatch.undo()


def test_list_and_show_make_no_dataclass(live_sample: LiveSample) -> None:
    """What they load is msgspec Structs: a slotted dataclass is made with exec at import
    (0.4 ms each) and the dataclasses module brings inspect (docs/architecture.md)."""
    commands = [["list"], ["list", "--json"], ["show", "5f1c"], ["show", "5f1c", "--json"]]
    _assert_after(live_sample, commands, "'dataclasses' not in sys.modules")


def test_list_and_show_write_no_log(live_sample: LiveSample) -> None:
    # cli/__init__.py's _UNLOGGED: nothing list and show run logs, so they start without it
    _assert_after(
        live_sample,
        [["list"], ["list", "--all"], ["show", "5f1c"]],
        "'logging.handlers' not in sys.modules and 'zag_tray.cli.journal' not in sys.modules",
        "'logging' not in sys.modules",
    )
