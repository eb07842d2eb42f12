"""pytest plugin for the mutation job (``tools/mutation.toml``: ``pytest_plugins``): HiGHS on one thread.

mutmut runs the tests once in its own process (to learn which tests reach which function), then forks one child
per mutant. HiGHS keeps a process-wide pool of worker threads once it has solved with more than one; a forked
child inherits the pool's state but not its threads, so the child's first solve waits forever and mutmut
reports a CPU-time "timeout" that is no verdict at all. With ``threads = 1`` no pool is started: every child
solves as the default test run does. Not used by the default test run.
"""
from __future__ import annotations


def pytest_configure(config):
    import staffing.shifts.solve as solve

    solve.HIGHS_OPTIONS["threads"] = 1
