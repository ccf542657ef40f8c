"""zag's session logs: finding an agent's log (``locate``), following it by offset
(``follow``), and the activity of the running agents (``tracker``).

No Qt and no psutil: file reading only, each file opened as hostile input (regular files
only, sizes capped, bounded memory). The activity model itself is pure: agents/activity.py.
"""
