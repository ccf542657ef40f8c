"""Pure data and rules about zag's agents: no I/O, no psutil, nothing else of ours.

The entry and snapshot types, timestamps, the live-status rule, the tree, what
one observation shows, and how an agent is presented (``present``), used alike
by the CLI, the menu, the window, the tooltip and the notifications.
"""
