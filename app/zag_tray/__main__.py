"""``python -m zag_tray``."""

import sys

from zag_tray.cli import main

sys.exit(main())
