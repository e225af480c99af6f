"""What a stage reads from the stages above it, handed in as the process is assembled (`leadflow.stages.wire()`):
a lower stage declares the readers it needs in its `sources.py` and never imports the stages that provide them."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Provided(Generic[T]):
    """One stage's handed-in readers: `provide(readers)` (None: none until the next assembly) and `current()`."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self._readers: T | None = None

    def provide(self, readers: T | None) -> None:
        self._readers = readers

    def current(self) -> T:
        if self._readers is None:
            raise RuntimeError(f"{self.stage}' readers are handed in as the app, the CLI or the worker is assembled "
                               "(leadflow.stages.wire()); this process has assembled none")
        return self._readers
