"""The command line against a hostile store: escape sequences, bidi controls and 10,000-deep chains.

Every field of the store is written by other programs. The CLI runs here as a real
process whose output is a pseudo-terminal (or a pipe), and the exact bytes it wrote are
compared: nothing the store holds may reach the terminal as a control character.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SAMPLE
from tests.factories import make_entry, stored, with_member, write_store
from zag_tray.agents.jsontext import json_text
from zag_tray.agents.present import age
from zag_tray.agents.text import HIDDEN_CHARACTERS
from zag_tray.cli.table import cells

Spawn = Callable[..., subprocess.Popen[bytes]]
Run = Callable[..., tuple[int, bytes]]

CLEAR = "\x1b[2J\x1b[3J"  # clear the screen and the scrollback
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write "rm -rf ~" to the clipboard
TITLE = "\x1b]0;owned\x07"  # OSC 0: set the window title
UNTERMINATED = "\x1b]8;;"  # an OSC never ended: the terminal swallows what follows
RTL = "\u202e"  # right-to-left override
CSI = "\x9b"  # the C1 control introducing a CSI sequence
DEL = "\x7f"

AGENT = CLEAR + "agent-1"
CHILD = RTL + "child" + DEL
HOSTILE_KEY = "\x1b]0;key\x07"
PARENT = {
    **stored(
        AGENT,
        pid=4_000_001,
        provider=TITLE,
        model=CLIPBOARD,
        command=DEL + "exec",
        prompt=CSI + "31mred" + UNTERMINATED,
        root="/home/dev/" + RTL + "slaicnanif",
        status="exited",
        exit_code=0,
        exited_at="2026-03-28T10:00:42Z",
    ),
    "session_id": "s-1",
    HOSTILE_KEY: CLEAR + "value",
    "future": {"note": RTL + "x", "list": [CSI, DEL]},
}
KID = stored(CHILD, AGENT, 1, pid=4_000_002, status="exited", exit_code=0, exited_at="2026-03-28T10:01:05Z")

RAW_HIDDEN = re.compile(f"[{HIDDEN_CHARACTERS}]")


def raw_hidden(output: bytes, *, allowed: str = "\n") -> list[str]:
    """The hidden characters written as they are (line breaks end lines: allowed)."""
    return [c for c in RAW_HIDDEN.findall(output.decode("utf-8")) if c not in allowed]


def environment(**changes: str) -> dict[str, str]:
    """The environment of the CLI under test: this one with ``changes``, without the
    terminal's width and the user's NO_COLOR. Passed explicitly, as the C library's copy
    can differ from ``os.environ`` (readline, loaded by pytest, sets COLUMNS there)."""
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    return {**base, **changes}


def in_terminal(
    *args: str, timeout: float = 30, env: dict[str, str] | None = None, columns: int = 0
) -> tuple[int, bytes]:
    """``python -m zag_tray ARGS`` with a pseudo-terminal as stdout and stderr: its exit code
    and every byte it wrote, as a terminal would receive them. ``columns``: the terminal's
    width (0, a new pseudo-terminal's: it reports none)."""
    master, slave = pty.openpty()
    tty.setraw(slave)  # no "\n" -> "\r\n": what is read is exactly what the CLI wrote
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zag_tray", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env=environment() if env is None else env,
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                proc.kill()
                raise AssertionError(f"the CLI did not finish in {timeout} s")
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # EIO: the CLI closed the terminal (it exited)
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return proc.wait(timeout), b"".join(chunks)


def through_pipe(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """The same through a pipe, stderr merged into stdout as a terminal shows them."""
    result = subprocess.run(
        [sys.executable, "-m", "zag_tray", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
        env=environment() if env is None else env,
    )
    return result.returncode, result.stdout


@pytest.fixture(params=["terminal", "pipe"])
def run(request: pytest.FixtureRequest) -> Run:
    return in_terminal if request.param == "terminal" else through_pipe


@pytest.fixture
def hostile(base_dir: Path) -> Path:
    write_store(base_dir, [PARENT, KID])
    return base_dir


def reaped_when_it_exits(proc: subprocess.Popen[bytes]) -> None:
    """The agents are our children: reap one as soon as it ends, so the CLI (another
    process) sees it gone instead of a zombie it waits on for its whole grace period."""
    threading.Thread(target=proc.wait, daemon=True).start()


# --- the human output ----------------------------------------------------------------------


SGR = re.compile(rb"\x1b\[[0-9;]*m")
"""The colour sequences the CLI writes itself (around a status): never the store's."""
START = 1774692000.0  # 2026-03-28T10:00:00Z, when the factories' agents start (minute 0)


def aligned(rows: list[list[str]]) -> str:
    """Rows of narrow text as a table: each column padded to its widest, two spaces between."""
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
    return "".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)), row[-1]])
        + "\n"
        for row in rows
    )


def test_list_shows_every_column_escaped(hostile: Path, run: Run) -> None:
    code, out = run("list", "--all", "--base-dir", str(hostile))
    ago = age(time.time() - START), age(time.time() - START - 60)
    assert code == 0
    assert SGR.sub(b"", out) == aligned(
        [
            ["ID", "AGENT", "COMMAND", "STATUS", "ACTIVITY", "PID", "STARTED", "RUNTIME", "ROOT", "PROMPT"],
            [
                r"\x1b[2J\x1b[3J", r"\x1b]0;owned\x07 · \x1b]52;c;cm0gLXJmIH4=\x07", r"\x7fexec",
                "exited (0)", "—", "4000001", ago[0], "42s",
                r"/home/dev/\u202eslaicnanif", r"\x9b31mred\x1b]8;;",
            ],
            [
                r"└─ \u202echild\x7f", "claude · sonnet", "exec", "exited (0)", "—",
                "4000002", ago[1], "5s", "—", "Say hello",
            ],
        ]
    ).encode()  # fmt: skip
    if run is in_terminal:  # the status coloured, and nothing else: the store's text stays escaped
        assert [m.end() - m.start() for m in re.finditer(rb"\x1b\[[0-9;]*mexited \(0\)\x1b\[0m", out)] != []
        assert len(SGR.findall(out)) == 4 and raw_hidden(SGR.sub(b"", out)) == []
    else:
        assert b"\x1b" not in out


@pytest.fixture
def outcomes(base_dir: Path) -> Path:
    """Hostile agents that failed and were killed: a status coloured under any colour rule."""
    failed = {**PARENT, "exit_code": 3}
    killed = stored(
        CHILD, AGENT, 1, pid=4_000_002, prompt=CLEAR, status="killed", exited_at="2026-03-28T10:01:05Z"
    )
    write_store(base_dir, [failed, killed])
    return base_dir


@pytest.mark.parametrize(
    ("where", "flags", "env", "coloured"),
    [
        ("terminal", [], {}, True),
        ("terminal", [], {"NO_COLOR": "1"}, False),
        ("terminal", [], {"NO_COLOR": ""}, True),  # no-color.org: set to something, not empty
        ("terminal", [], {"TERM": "dumb"}, False),
        ("terminal", ["--color=never"], {}, False),
        ("terminal", ["--color=always"], {"NO_COLOR": "1"}, True),  # the command line wins
        ("pipe", [], {}, False),
        ("pipe", ["--color=always"], {}, True),
        ("pipe", ["--color"], {}, True),
    ],
)
def test_the_status_is_coloured_on_a_terminal_only_and_never_with_no_color(
    outcomes: Path, where: str, flags: list[str], env: dict[str, str], coloured: bool
) -> None:
    run = in_terminal if where == "terminal" else through_pipe
    code, out = run("list", "--all", *flags, "--base-dir", str(outcomes), env=environment(**env))
    assert code == 0
    text = out.decode()
    statuses = re.findall(r"\x1b\[[0-9;]+m(exited \(3\)|killed)\x1b\[0m", text)
    assert statuses == (["exited (3)", "killed"] if coloured else [])
    assert len(SGR.findall(out)) == 2 * len(statuses)  # nothing else coloured
    # Our colour sequences are the only ones: the store's text stays escaped with colours on.
    assert raw_hidden(SGR.sub(b"", out)) == []
    assert r"\x1b[2J\x1b[3J" in text and r"\x1b]0;owned\x07" in text


def test_show_escapes_every_key_and_value_and_the_children(hostile: Path, run: Run) -> None:
    code, out = run("show", AGENT, "--base-dir", str(hostile), env=environment(TZ="UTC"))
    assert code == 0
    assert out.decode().splitlines() == [
        r"id                 \x1b[2J\x1b[3Jagent-1",
        "pid                4000001",
        "session_id         s-1",
        r"provider           \x1b]0;owned\x07",
        r"model              \x1b]52;c;cm0gLXJmIH4=\x07",
        r"command            \x7fexec",
        r"prompt             \x9b31mred\x1b]8;;",
        f"started_at         2026-03-28 10:00:00 ({age(time.time() - START)})",
        "status             exited",
        "exit_code          0",
        f"exited_at          2026-03-28 10:00:42 ({age(time.time() - START - 42)})",
        r"root               /home/dev/\u202eslaicnanif",
        "parent_process_id  null",
        "parent_session_id  null",
        r"\x1b]0;key\x07     \x1b[2J\x1b[3Jvalue",
        r'future             {"note": "\u202ex", "list": ["\u009b", "\u007f"]}',
        "live               exited (0) — stored status is 'exited'",
        r"children           \u202echild\x7f",
        "activity           —",
    ]
    assert raw_hidden(out) == []


def test_show_shows_line_breaks_of_a_value_as_escapes(base_dir: Path, run: Run) -> None:
    write_store(base_dir, [stored("multi-line", prompt="one\ntwo\r\tthree")])
    code, out = run("show", "multi-line", "--base-dir", str(base_dir))
    assert code == 0 and rb"prompt             one\ntwo\r\tthree" + b"\n" in out


def test_kill_and_stop_name_the_agent_escaped(base_dir: Path, agents: Spawn, run: Run) -> None:
    for verb, signame in (("stop", "SIGHUP"), ("kill", "SIGTERM")):
        proc = agents(AGENT)
        reaped_when_it_exits(proc)
        write_store(base_dir, [make_entry(pid=proc.pid, entry_id=AGENT, provider=TITLE, model=CLIPBOARD)])
        code, out = run(verb, AGENT, "--base-dir", str(base_dir))
        assert (code, out) == (
            0,
            rf"{signame} sent to \x1b[2J\x1b[3Jagent-1 (pid {proc.pid}, "
            r"\x1b]0;owned\x07 · \x1b]52;c;cm0gLXJmIH4=\x07)".encode()
            + b"\n",
        )
        proc.wait(10)


def test_errors_quote_ids_and_paths_escaped(hostile: Path, tmp_path: Path, run: Run) -> None:
    store = hostile / "processes.json"
    code, out = run("show", CLEAR + "nope", "--base-dir", str(hostile))
    assert (code, out) == (1, rf"zag-tray: no agent with id '\x1b[2J\x1b[3Jnope' in {store}".encode() + b"\n")
    strange = tmp_path / f"{TITLE}dir{RTL}"
    strange.mkdir()
    code, out = run("list", "--base-dir", str(strange))
    expected = rf"No running agents in {tmp_path}/\x1b]0;owned\x07dir\u202e/processes.json (--all shows"
    assert code == 0 and out == expected.encode() + b" finished ones)\n"


def test_where_shows_a_hostile_base_dir_escaped(tmp_path: Path, run: Run) -> None:
    strange = str(tmp_path / f"{CLIPBOARD}{RTL}")
    code, out = run("where", env=environment(ZAG_TRAY_BASE_DIR=strange))
    assert code == 0 and raw_hidden(out) == []
    assert out.startswith(
        rf"base dir: {tmp_path}/\x1b]52;c;cm0gLXJmIH4=\x07\u202e".encode() + b" (does not exist)\n"
    )


def test_usage_errors_quote_the_arguments_escaped(run: Run) -> None:
    code, out = run("list", CLEAR + "extra")
    assert code == 2 and raw_hidden(out) == []
    assert out.endswith(rb"zag-tray: error: unrecognized arguments: \x1b[2J\x1b[3Jextra" + b"\n")


def test_warnings_and_liveness_reasons_are_escaped(base_dir: Path, agents: Spawn, run: Run) -> None:
    entry = make_entry(pid=0, entry_id=AGENT)  # started before its process: a fair entry
    stranger = agents(TITLE)  # a process tagged with another (hostile) agent id
    entry["pid"] = stranger.pid
    broken = {**stored(CLEAR + "broken"), "pid": CLIPBOARD}
    write_store(base_dir, [entry, broken])
    code, out = run("show", AGENT, "--base-dir", str(base_dir))
    assert code == 0 and raw_hidden(out) == []
    assert out.startswith(b"zag-tray: warning: 1 invalid entries skipped (entry 1: pid is not ")
    live = next(line for line in out.splitlines() if line.startswith(b"live "))
    assert rb"\x1b]0;owned\x07" in live  # the live line names the stranger's tag


def test_lines_are_cut_to_the_terminal_width_and_the_tree_stays_whole(base_dir: Path) -> None:
    long_root = "/home/dev/" + "deep/" * 30
    write_store(
        base_dir,
        [
            stored("root-agent", prompt="p" * 300, status="exited", exit_code=0),
            stored("kid-agent", "root-agent", 1, prompt=CLEAR * 20, status="exited", exit_code=0),
            stored("grandkid", "kid-agent", 2, root=long_root, status="exited", exit_code=0),
        ],
    )
    args = ("list", "--all", "--color=never", "--base-dir", str(base_dir))
    code, out = in_terminal(*args, columns=60)
    lines = out.decode().splitlines()
    assert code == 0 and len(lines) == 4 and raw_hidden(out) == []
    assert all(50 < cells(line) <= 60 and line.endswith("…") for line in lines)
    assert [line[:15] for line in lines[1:]] == ["root-age       ", "└─ kid-agen    ", "   └─ grandkid "]
    # Narrower than the tree and the id: those stay whole (cut, the tree would not read).
    code, out = in_terminal(*args, columns=8)
    assert out.decode().splitlines()[1:] == ["root-age…", "└─ kid-agen…", "   └─ grandkid…"]
    # COLUMNS, on a terminal, is the width (as shutil.get_terminal_size reads it) ...
    code, out = in_terminal(*args, columns=200, env=environment(COLUMNS="50"))
    assert all(40 < cells(line) <= 50 for line in out.decode().splitlines())
    # ... but piped output is never cut: a script gets whole lines.
    code, out = through_pipe(*args, env=environment(COLUMNS="50"))
    assert long_root.rstrip("/")[:40] in out.decode() and max(map(cells, out.decode().splitlines())) > 100


# --- JSON ----------------------------------------------------------------------------------


def test_json_escapes_c1_del_separators_and_bidi_and_keeps_the_values(base_dir: Path, run: Run) -> None:
    odd = {**KID, "prompt": "\u2028\u2029\u061c\u200e\u2066" + CSI + DEL, "x\u2069": "\x00\x1f\t"}
    write_store(base_dir, [PARENT, odd])
    for args in (["list", "--all", "--json"], ["show", AGENT, "--json"]):
        code, out = run(*args, "--base-dir", str(base_dir))
        assert code == 0 and raw_hidden(out) == []
        shown = json.loads(out)
        parent = shown[0] if isinstance(shown, list) else shown
        read = parent["activity"]  # show reads the agent's log, running or not (none here)
        assert read is None if isinstance(shown, list) else read["state"] == "unknown"
        assert parent == {
            **PARENT,
            "live_status": "exited",
            "activity": read,
            "children": [parent["children"][0]],
        }
        assert parent["children"][0] == {**odd, "live_status": "exited", "activity": None, "children": []}
    assert rb'"prompt": "\u2028\u2029\u061c\u200e\u2066\u009b\u007f"' in out
    assert rb'"x\u2069": "\u0000\u001f\t"' in out


def test_json_layout_is_unchanged_for_ordinary_trees(base_dir: Path) -> None:
    (base_dir / "processes.json").write_bytes(SAMPLE.read_bytes())
    code, out = through_pipe("list", "--all", "--json", "--base-dir", str(base_dir))
    assert code == 0
    assert out.decode() == json.dumps(json.loads(out), indent=2, ensure_ascii=False) + "\n"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=30,
)
LEFT_RAW_BY_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@given(JSON_VALUES)
def test_json_text_is_json_dumps_with_every_hidden_character_escaped(value: Any) -> None:
    for text, dumped in (
        (json_text(value), json.dumps(value, indent=2, ensure_ascii=False)),
        (json_text(value, indent=False), json.dumps(value, ensure_ascii=False)),
    ):
        assert text == LEFT_RAW_BY_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
        assert json.loads(text) == value and raw_hidden(text.encode()) == []


# --- 10,000-deep chains ----------------------------------------------------------------------

CHAIN = 10_000


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of one chain of finished agents, each the parent of the next."""
    base = tmp_path_factory.mktemp("chain")
    entries = [
        stored(f"chain-{i:05d}", f"chain-{i - 1:05d}" if i else None, status="exited", exit_code=0)
        for i in range(CHAIN)
    ]
    write_store(base, entries)
    return base


def parsed_deep(text: bytes) -> Any:
    """``json.loads`` of a document nested 20,000 deep: the stdlib parser recurses in C, so
    it runs on a thread with a big stack and a recursion limit to match (for this test only)."""
    result: list[Any] = []

    def parse() -> None:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(4 * CHAIN + 1000)
        try:
            result.append(json.loads(text))
        finally:
            sys.setrecursionlimit(old)

    old_size = threading.stack_size(256 << 20)
    try:
        thread = threading.Thread(target=parse)
        thread.start()
    finally:
        threading.stack_size(old_size)
    thread.join()
    assert result, "the output did not parse"
    return result[0]


def down_the_chain(node: dict[str, Any]) -> Iterator[str]:
    while True:
        yield node["id"]
        if not node["children"]:
            return
        (node,) = node["children"]


@pytest.mark.parametrize("args", [["list", "--all", "--json"], ["show", "chain-00000", "--json"]])
def test_json_of_a_10000_deep_chain(chain: Path, args: list[str]) -> None:
    code, out = through_pipe(*args, "--base-dir", str(chain))
    assert code == 0, out[-300:]
    shown = parsed_deep(out)
    top = shown[0] if isinstance(shown, list) else shown
    assert list(down_the_chain(top)) == [f"chain-{i:05d}" for i in range(CHAIN)]


def test_list_of_a_10000_deep_chain_stays_small(chain: Path) -> None:
    """Drawn in full, the tree's indentation alone was 150 MB (depth x depth)."""
    code, out = through_pipe("list", "--all", "--base-dir", str(chain))
    lines = out.decode().splitlines()
    assert code == 0 and len(lines) == 1 + CHAIN and len(out) < 4_000_000
    assert lines[1].startswith("chain-00  ") and lines[2].startswith("└─ chain-00  ")
    assert lines[-1].lstrip(" │").startswith("└─ [9999] chain-09  ")


@pytest.mark.parametrize(
    "args", [["show", "odd-agent"], ["show", "odd-agent", "--json"], ["list", "--all", "--json"]]
)
def test_a_lone_surrogate_zag_reads_is_shown_escaped(base_dir: Path, run: Run, args: list[str]) -> None:
    store = write_store(base_dir, [stored("odd-agent", status="exited", exit_code=0)])
    with_member(store, '"extra": "\\ud800"')
    code, output = run("--base-dir", str(base_dir), *args)
    assert code == 0, output
    assert b"\\ud800" in output  # escaped: UTF-8 cannot hold it, a terminal never sees it
    if "--json" in args:
        parsed = json.loads(output)
        assert (parsed[0] if isinstance(parsed, list) else parsed)["extra"] == "\ud800"  # the same value
