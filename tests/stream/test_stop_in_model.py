"""Ctrl-C and SIGTERM stop a run within a few seconds while the model is in one long call (a whole big photo, a
1080p frame at --quality best), with the same exit code and last line as a stop between calls, and nothing left.

The bound is generous (the 2-core machine these run on is often loaded): before the model's call could be
stopped, these took 30 to 90 s to stop."""

from __future__ import annotations

import signal

import numpy as np
import pytest
from PIL import Image

from tests.media import make_clip
from tests.stopping import stop_timed

STOPPED_WITHIN_S = 6.0


def _big_photo(path):
    """A 3000x2000 dim photo: enhanced in one piece at --quality best it is one model call of half a minute or more
    on 2 cores (the bundled generator)."""
    rng = np.random.default_rng(0)
    small = (rng.random((200, 300, 3)) * 50 + 10).astype(np.uint8)
    Image.fromarray(small).resize((3000, 2000), Image.BICUBIC).save(path, quality=90)
    return path


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_during_a_big_photos_model_call_ends_the_run_at_once(tmp_path, stop, code):
    photo, out = _big_photo(tmp_path / "night.jpg"), tmp_path / "out"
    out.mkdir()
    # 'photo: ...%' is the bar over the clock while the one model call runs (the photo's own steps come before it)
    code_seen, text, seconds = stop_timed([photo, "-o", out / "day.jpg", "--quality", "best"], shown=rb"photo: +\d+%",
                                          after_s=1.0, stop=stop)
    assert seconds < STOPPED_WITHIN_S, (seconds, text[-600:])
    assert code_seen == code, text[-600:]
    assert text.strip().splitlines()[-1] == f"enlight-video: interrupted; nothing was written to {out / 'day.jpg'}"
    assert list(out.iterdir()) == []


def test_ctrl_c_during_a_1080p_frames_model_call_ends_the_run_at_once(tmp_path):
    clip, out = tmp_path / "night.mp4", tmp_path / "out"
    make_clip(clip, width=1920, height=1080, frames=3, audio=False)
    out.mkdir()
    # (--denoise off: the model starts at once on the batch of 3 frames, a call of a minute on 2 cores)
    code, text, seconds = stop_timed([clip, "-o", out / "day.mp4", "--quality", "best", "--denoise", "off"],
                                     shown=rb"\| 0/3", after_s=2.0)
    assert seconds < STOPPED_WITHIN_S, (seconds, text[-600:])
    assert code == 130, text[-600:]
    assert text.strip().splitlines()[-1].startswith("enlight-video: interrupted; nothing was kept;"), text[-600:]
    assert list(out.iterdir()) == []


def test_ctrl_c_while_a_batch_is_denoised_ends_the_run_at_once(tmp_path):
    """A CPU run denoises a batch on a helper thread, which the stopped run waits for: 12 noisy 1080p frames take
    10 s or more; it now ends before the next frame."""
    clip, out = tmp_path / "night.mp4", tmp_path / "out"
    make_clip(clip, width=1920, height=1080, frames=12, audio=False)
    out.mkdir()
    code, text, seconds = stop_timed([clip, "-o", out / "day.mp4", "--quality", "fast", "--denoise", "light",
                                      "--batch-size", "12"], shown=rb"\| 0/12", after_s=1.0)
    assert seconds < STOPPED_WITHIN_S, (seconds, text[-600:])
    assert code == 130, text[-600:]
    assert text.strip().splitlines()[-1].startswith("enlight-video: interrupted; nothing was kept;"), text[-600:]
    assert list(out.iterdir()) == []
