import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
# The README's test command is deterministic (the same examples on every run, with or
# without CI=1); ALIGNSPEC_HYPOTHESIS=explore draws fresh random examples to hunt bugs.
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile("explore" if os.environ.get("ALIGNSPEC_HYPOTHESIS") == "explore" else "ci")

pytest_plugins = ["pytester"]

# --- differential harness (tests/differential): a fast seeded profile for CI, a long one
# behind `--differential=long` (or ALIGNSPEC_DIFFERENTIAL=long); `--differential=off` skips it.
settings.register_profile(
    "differential-fast",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "differential-long",
    derandomize=False,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    group = parser.getgroup("alignspec-differential")
    group.addoption(
        "--differential",
        choices=("fast", "long", "off"),
        default=None,
        help="differential harness profile: fast (seeded, CI default), long (thousands of "
        "random examples per test), off (skip); env ALIGNSPEC_DIFFERENTIAL",
    )
    group.addoption(
        "--differential-known",
        choices=("report", "fail"),
        default=None,
        help="known library bugs: report (tally them, default) or fail; "
        "env ALIGNSPEC_DIFFERENTIAL_KNOWN",
    )


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # The differential modules read these at import (collection comes after configure).
    profile = config.getoption("--differential", default=None)
    if profile:
        os.environ["ALIGNSPEC_DIFFERENTIAL"] = profile
    mode = config.getoption("--differential-known", default=None)
    if mode:
        os.environ["ALIGNSPEC_DIFFERENTIAL_KNOWN"] = mode
