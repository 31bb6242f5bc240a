"""The live clock of a source that is paced (a file, a URL or a pipe played as a camera): where on
``time.perf_counter()``'s clock each moment of the source's own timestamps falls.

The first frame anchors it (the moment it came, and its timestamp); each later frame is due that much after it as its
timestamp is after the first's, and is held back until then, as a camera would deliver it. A timestamp that jumps (a
loop, a stream's clock that started again, a camera whose clock drifts a second from ours) anchors it again where it
is. A first frame that was held unread (``held_s``: a stream's open that waited seconds for sound that never came,
while its picture kept coming) anchors it where it came: the frames held behind it are due at once, and late frames
are not taken for a jump until the clock has caught up with them. The source's sound is timed by the same anchor
(``live_sound``), so the picture and the sound recorded from it keep the step they had in the source, also where
frames are dropped or a reconnect leaves a gap.
"""

from __future__ import annotations

import av

REANCHOR_S = 1.0  # a timestamp this far from where the clock has it anchors the clock again


class LiveClock:
    """``due(frame, now)``: the perf_counter time a decoded frame is due. ``by_count``: frames are one ``step``
    (seconds) apart whatever their timestamps (``--fps``), as are frames without a timestamp. ``shift``: the
    perf_counter time of the source's time 0 under the anchor now (None before the first frame, and when counted:
    a sound has no place on a clock that ignores the timestamps)."""

    def __init__(self, step: float, *, by_count: bool = False) -> None:
        self.step = step
        self.by_count = by_count
        self._anchor: tuple[float, float] | None = None  # (perf_counter s, media s)
        self._media_s = 0.0
        self._last = float("-inf")  # the last frame's due time
        self._slack = 0.0  # how late frames may be without anchoring the clock again: what the first was held, s

    def due(self, frame: av.VideoFrame, now: float, *, held_s: float = 0.0) -> float:
        """When ``frame`` is due on the perf_counter clock, anchoring the clock at ``now`` first where it is off by
        more than ``REANCHOR_S`` (or not anchored yet: at ``now - held_s``, the first frame having waited that long
        to be read). Never before the last frame's time: a timestamp that went back a little (a broken camera) is
        due at once."""
        if self.by_count or frame.pts is None or frame.time_base is None:
            self._media_s += self.step
        else:
            self._media_s = float(frame.pts * frame.time_base)
        if self._anchor is None:
            self._anchor, self._slack = (now - held_s, self._media_s), held_s
        late = now - (self._anchor[0] + self._media_s - self._anchor[1])
        if late <= 0:
            self._slack = 0.0  # (caught up)
        if late > REANCHOR_S + self._slack or late < -REANCHOR_S:
            self._anchor, self._slack = (now, self._media_s), 0.0
        self._last = max(self._last, self._anchor[0] + self._media_s - self._anchor[1])
        return self._last

    @property
    def started(self) -> bool:
        return self._anchor is not None

    @property
    def shift(self) -> float | None:
        if self._anchor is None or self.by_count:
            return None
        return self._anchor[0] - self._anchor[1]
