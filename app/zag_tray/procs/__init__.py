"""Processes: whether an entry's pid is really its agent (liveness), stop and kill,
and the monitor that turns the store and the processes into one observation."""
