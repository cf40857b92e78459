"""What the testbed's runners and the integration tests share for checking:
waiting for a condition, and the exit status that sums up the checks."""

import time


def wait_until(predicate, timeout, step=0.5):
    """Calls PREDICATE every STEP seconds until it returns something true or
    TIMEOUT seconds have passed; returns its last value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(step)


def exit_status(failures, log, passed="all checks passed"):
    """1 after logging FAILURES (what each failed check said), else 0 after
    logging PASSED."""
    if failures:
        log(f"{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        return 1
    log(passed)
    return 0
