"""Crash tests start real processes and SIGKILL them."""

from tests.live import start_server  # noqa: F401  (fixture)
