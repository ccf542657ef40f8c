"""zag's ``processes.json``: its layout, parsing and validation, reading (whole and
incremental) and writing back. Knows the file; knows nothing of processes or Qt."""
