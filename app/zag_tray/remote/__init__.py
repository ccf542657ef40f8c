"""Other machines over the user's own OpenSSH: no Qt, no psutil (the tray's host level and
the CLI's ``--host`` both stand on it).

``ssh`` (the alias rule, the ssh command line, the private ControlMaster directory, the
remote command), ``protocol`` (``watch --json``'s lines read back: hello first, each line
capped, hostile text kept as the store's is), ``failures`` (what an ssh exit means to a
user, and the reconnect backoff), ``state`` (a host's state: connecting, live, offline with
its last snapshot) and ``driver`` (ssh as a subprocess: one command, or a stream kept up).
``pinning``, ``serve_hosts`` and ``serve`` are the second engine, a ``zag serve`` over HTTPS:
its certificate pinned on first use, its URL and token kept, its API polled into the same
host state. The facts behind the choices: docs/architecture.md, "Other machines".
"""
