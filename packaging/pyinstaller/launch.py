"""The bundle's entry point: the ``zag-tray`` console script, frozen.

A frozen app has no interpreter to run ``python -c``, which is how ``zag-tray demo`` starts
its harmless demo agents (zag_tray.demo.spawn_agent runs ``sys.executable -c AGENT_CODE``).
So the bundle runs that one snippet itself, when asked for exactly it, and nothing else.
"""

import sys

if sys.argv[1:2] == ["-c"]:
    from zag_tray.demo import AGENT_CODE

    if sys.argv[2:] == [AGENT_CODE]:
        exec(AGENT_CODE)  # noqa: S102 (the demo's own constant, compared in full above)
        sys.exit(0)

from zag_tray.cli import run

run()
