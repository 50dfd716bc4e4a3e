"""Tasks for tests/simulate/test_study.py, importable by worker processes."""

import time


def slow_first(chunk: list[int], total: int) -> list[dict]:
    """Later chunks finish first."""
    time.sleep(0.05 * (total - chunk[0]))  # the first chunk sleeps longest
    return [{"item": i} for i in chunk]


def instant(chunk: list[int]) -> list[dict]:
    return [{"item": i} for i in chunk]
