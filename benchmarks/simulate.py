"""Benchmark: simulate 100,000 patients × 12 scheduled visits (tables in memory), and a 200-patient cohort.

Target (issue 3): under 10 s on 2 cores for the large cohort; well under 50 ms for 200 patients.
Run: ``.venv/bin/python benchmarks/simulate.py``.
"""

from __future__ import annotations

import os
import time

from alscell.simulate import CohortConfig, simulate_cohort


def main() -> None:
    big = CohortConfig(n_patients=100_000, follow_up_months=16.5, visit_interval_months=1.5, effect=0.3)
    assert big.n_visits == 12
    start = time.perf_counter()
    cohort = simulate_cohort(big, seed=1)
    elapsed = time.perf_counter() - start
    rows = sum(len(t) for t in cohort.tables.values())
    print(
        f"100,000 patients x {big.n_visits} scheduled visits: {elapsed:.2f} s "
        f"({rows:,} rows in 6 tables; {os.cpu_count()} cores) -> {'OK' if elapsed < 10 else 'TOO SLOW'} (< 10 s)"
    )
    print(f"  {cohort.summary()}")
    small = CohortConfig(n_patients=200)
    simulate_cohort(small, seed=0)
    times = []
    for seed in range(50):
        t = time.perf_counter()
        simulate_cohort(small, seed=seed)
        times.append(time.perf_counter() - t)
    times.sort()
    print(
        f"200 patients (default config, {small.n_visits} visits): median {1000 * times[len(times) // 2]:.1f} ms, "
        f"best {1000 * times[0]:.1f} ms over 50 seeds -> {'OK' if times[len(times) // 2] < 0.05 else 'TOO SLOW'} (< 50 ms)"
    )


if __name__ == "__main__":
    main()
