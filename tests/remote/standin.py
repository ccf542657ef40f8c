"""A local stand-in for ssh and the remote zag-tray, for the tray's own tests: ``ssh`` runs
the remote command here with sh (as sshd would), and ``zag-tray`` answers ``watch --json``
with noise, hello, the snapshot the test wrote, then the lines the test appends to
``events``, until its stdin ends (as the real one does); any other command is recorded in
``actions`` and answered as the test says."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

from tests.factories import stored
from zag_tray.remote.ssh import SshConfig

HELLO = json.dumps({"event": "hello", "schema": 1, "version": "1", "host": "box"})


def script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


def agent(entry_id: str, **fields: Any) -> dict[str, Any]:
    """An agent as ``watch --json`` sends it: its stored keys, its live status and activity."""
    return {**stored(entry_id, **fields), "live_status": "running", "activity": None}


class StandIn:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        bin_dir = folder / "bin"
        bin_dir.mkdir(parents=True)
        self.ssh = script(bin_dir / "ssh", 'exec sh -c "exec ${@: -1}"\n')
        self.events = folder / "events"
        self.events.write_text("")
        self.actions = folder / "actions"
        self.runs = folder / "runs"
        self.snapshot([])
        self.answer(0, "killed")
        script(bin_dir / "zag-tray", f"""D={folder}
if [ "$1" = watch ]; then
  echo "Welcome to the test box"
  from=$(( $(wc -l < "$D/events") + 1 ))  # before the snapshot: a line sent once it is live is read
  echo '{HELLO}'
  cat "$D/snapshot"
  tail -n "+$from" -f --pid=$$ "$D/events" &
  echo $$ > "$D/watch.pid"
  echo run >> "$D/runs"
  cat > /dev/null
  exit 0
fi
echo "$*" >> "$D/actions"
cat "$D/answer"
exit "$(cat "$D/code")"
""")  # fmt: skip
        self.path = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
        self.config = SshConfig(ssh=str(self.ssh))

    def snapshot(self, agents: list[dict[str, Any]]) -> None:
        """What the next connection's snapshot holds."""
        (self.folder / "snapshot").write_text(json.dumps({"event": "snapshot", "agents": agents}) + "\n")

    def send(self, event: dict[str, Any]) -> None:
        """A line on the live stream."""
        with self.events.open("a") as out:
            out.write(json.dumps(event) + "\n")

    def answer(self, code: int, text: str) -> None:
        (self.folder / "code").write_text(str(code))
        (self.folder / "answer").write_text(text + "\n")

    def connections(self) -> int:
        return len(self.runs.read_text().splitlines()) if self.runs.exists() else 0

    def drop(self) -> None:
        """The connection dies (its ssh killed): the tray sees the stream end."""
        pid = int((self.folder / "watch.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # the tray's event loop hears of it: tests wait on its state
