"""The bundle's entry point: the ``zag-tray`` console script, frozen.

A frozen app has no interpreter to run ``python -c``, which is how ``zag-tray demo`` starts
its harmless demo agents (zag_tray.demo.spawn_agent runs ``sys.executable -c AGENT_CODE``, and
the demo's agents that write a session log ``-c`` zag_tray.demo.logs.AGENT_CODE with a path and
a script). So the bundle runs those snippets itself, when asked for exactly one of them, and
nothing else.
"""

import sys

if sys.argv[1:2] == ["-c"]:
    from zag_tray.demo import AGENT_CODE
    from zag_tray.demo.logs import AGENT_CODE as LOGGING_AGENT_CODE

    code, rest = sys.argv[2:3], sys.argv[3:]
    if (code == [AGENT_CODE] and not rest) or (code == [LOGGING_AGENT_CODE] and len(rest) == 2):
        sys.argv = ["-c", *rest]  # what `python -c CODE ARGS` gives the code
        exec(code[0])  # noqa: S102 (the demo's own constants, compared in full above)
        sys.exit(0)

from zag_tray.cli import run

run()
