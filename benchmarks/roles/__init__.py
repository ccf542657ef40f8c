"""The processes benchmarks/run.py starts, each ``python -m benchmarks.roles.<role>``."""
