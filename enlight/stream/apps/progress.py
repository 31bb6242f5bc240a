"""The progress bar of a file run: frames, fps and ETA on stderr, ending at the frames really done.

A container's frame count is often an estimate (from its duration, or an index that counts frames
that no longer decode), so the bar trusts it only while it holds: past it, the total becomes
unknown (no ETA rather than a wrong one), and at the end the total is set to what was done, so a
finished run always ends at 100%.
"""

from __future__ import annotations

from enlight.progress_bar import progress_bar


class FrameProgress:
    """tqdm over frames. total: the expected count, or None when unknown; enabled False draws nothing."""

    def __init__(self, total: int | None, *, enabled: bool = True) -> None:
        self.done_frames = 0
        self.total = total
        self.bar = progress_bar(
            total=total,
            unit="frame",
            disable=not enabled,
            smoothing=0.1,
            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]",
        )

    def advance(self, frames: int) -> None:
        self.done_frames += frames
        if self.total is not None and self.done_frames > self.total:
            self.total = self.bar.total = None  # the estimate was short: no ETA rather than a wrong one
        self.bar.update(frames)

    def finish(self) -> None:
        """The run is complete: the total becomes the frames done, and the bar is drawn at 100%."""
        self.total = self.bar.total = self.done_frames
        self.bar.refresh()
        self.close()

    def close(self) -> None:
        self.bar.close()
