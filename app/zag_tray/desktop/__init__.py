"""Desktop helpers without Qt: where files live, settings, the log, one instance,
start at login, opening a terminal, atomic writes of small files, memory."""
