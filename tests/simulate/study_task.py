"""A task for tests/simulate/test_study.py, importable by worker processes: later chunks finish first."""

import time


def slow_first(chunk: list[int], total: int) -> list[dict]:
    time.sleep(0.05 * (total - chunk[0]))  # the first chunk sleeps longest
    return [{"item": i} for i in chunk]
