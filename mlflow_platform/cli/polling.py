"""Polling with backoff: Service Catalog has no waiters, so the CLI polls.

The clock and sleep are injected, so tests run instantly. Throttling errors are
retried here with a growing delay on top of botocore's own adaptive retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .aws import is_throttling
from .errors import Interrupted, WaitTimeout

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Backoff:
    initial: float = 5.0
    factor: float = 1.5
    maximum: float = 30.0
    throttle_maximum: float = 60.0
    max_throttles: int = 8  # consecutive throttling errors before giving up

    def next(self, delay: float) -> float:
        return min(delay * self.factor, self.maximum)

    def throttled(self, attempt: int) -> float:
        return min(self.initial * 2 ** attempt, self.throttle_maximum)


@dataclass
class Poller:
    """Calls `fetch` until `status_of` gives a terminal status; reports status changes."""

    progress: Progress
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    backoff: Backoff = field(default_factory=Backoff)
    timeout: float = 3 * 3600.0

    def until(
        self,
        fetch: Callable[[], Any],
        status_of: Callable[[Any], str],
        terminal: frozenset[str],
        *,
        label: str,
        resume_hint: str,
    ) -> Any:
        start = self.clock()
        delay, throttles, last = self.backoff.initial, 0, ""
        try:
            while True:
                try:
                    response = fetch()
                except Exception as err:
                    if not is_throttling(err) or throttles >= self.backoff.max_throttles:
                        raise
                    wait = self.backoff.throttled(throttles)
                    throttles += 1
                    self.progress(f"{label}: throttled by AWS, retrying in {wait:.0f}s")
                    self.sleep(wait)
                    continue
                throttles = 0
                status = status_of(response)
                if status != last:
                    self.progress(f"[{_elapsed(self.clock() - start)}] {label}: {status}")
                    last = status
                if status in terminal:
                    return response
                if self.clock() - start + delay > self.timeout:
                    raise WaitTimeout(
                        f"gave up waiting for {label} after {_elapsed(self.timeout)} "
                        f"(last status {status}); it continues in AWS",
                        hint=resume_hint,
                    )
                self.sleep(delay)
                delay = self.backoff.next(delay)
        except KeyboardInterrupt:
            raise Interrupted(
                f"interrupted while waiting for {label}; the change continues in AWS",
                hint=resume_hint,
            ) from None


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
