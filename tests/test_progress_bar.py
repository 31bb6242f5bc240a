"""Progress where stderr goes: redrawn in place on a terminal (a real pseudo-terminal here), plain lines elsewhere."""

import fcntl
import io
import os
import struct
import termios
import warnings

from enlight.progress_bar import progress_bar
from enlight.warning_lines import one_line


def test_a_log_gets_a_first_and_a_last_line_not_a_redraw_per_update():
    log = io.StringIO()
    with progress_bar(total=500, unit="frame", file=log) as bar:
        for _ in range(500):
            bar.update(1)
        bar.set_postfix_str("files 1/1")  # a redraw (as a batch makes when a file is done), then the close's
    text = log.getvalue()
    assert "\r" not in text and text.isascii() and text.endswith("\n")
    lines = text.splitlines()
    assert len(lines) == 2, lines  # the start and the end: nothing between in under LOG_INTERVAL seconds, and the
    # close's redraw of the same count is not repeated
    assert lines[0].startswith("  0%") and "0/500" in lines[0]
    assert lines[-1].startswith("100%") and "500/500" in lines[-1] and "files 1/1" in lines[-1]


def test_a_warning_in_a_log_gets_a_line_of_its_own(monkeypatch, capsys):
    monkeypatch.setattr(warnings, "showwarning", one_line("enlight-video"))
    bar = progress_bar(total=3, unit="frame")  # stderr: captured, not a terminal
    bar.update(1)
    warnings.warn("Corrupt EXIF data", UserWarning, stacklevel=1)
    bar.update(2)
    bar.close()
    lines = capsys.readouterr().err.split("\n")
    assert "enlight-video: warning: Corrupt EXIF data" in lines, lines
    assert lines[-2].startswith("100%") and lines[-1] == ""


def test_a_terminal_gets_the_bar_redrawn_in_place():
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # a window 80 columns wide
    with os.fdopen(follower, "w") as terminal:
        with progress_bar(total=2, unit="frame", file=terminal, mininterval=0) as bar:
            bar.update(1)
            bar.update(1)
    drawn = os.read(leader, 65536).decode()
    os.close(leader)
    assert drawn.count("\r") >= 3 and "2/2" in drawn  # the start and each update redraw the same line


def test_a_disabled_bar_writes_nothing():
    log = io.StringIO()
    with progress_bar(total=5, file=log, disable=True) as bar:
        bar.update(5)
    assert log.getvalue() == ""


def test_tqdms_own_interval_setting_is_taken_and_a_bad_one_ignored(monkeypatch):
    monkeypatch.setenv("TQDM_MININTERVAL", "0")
    log = io.StringIO()
    with progress_bar(total=3, file=log) as bar:
        for _ in range(3):
            bar.update(1)
    assert len(log.getvalue().splitlines()) == 4  # 0/3, 1/3, 2/3, 3/3: no interval between lines
    monkeypatch.setenv("TQDM_MININTERVAL", "often")
    log = io.StringIO()
    with progress_bar(total=3, file=log) as bar:
        bar.update(3)
    assert len(log.getvalue().splitlines()) == 2


def test_a_bar_over_the_clock_advances_and_completes_only_when_the_work_does(monkeypatch):
    """One model call on a whole photo reports nothing while it runs; the bar follows the clock against the estimate,
    stops short of 100% while the work goes on, and completes when it ends (not when it fails)."""
    import time

    import pytest

    from enlight import progress_bar as bars

    monkeypatch.setattr(bars, "TICK", 0.05)
    log = io.StringIO()
    with bars.timed_bar(0.2, desc="photo", file=log) as bar:
        time.sleep(0.4)  # past the estimate
        assert 0.1 < bar.n <= 0.99 * 0.2 + 1e-9, bar.n
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("photo:   0%") and lines[-1].startswith("photo: 100%") and "of about 0 s" in lines[-1]
    failed = io.StringIO()
    with pytest.raises(ValueError), bars.timed_bar(0.2, desc="photo", file=failed):
        time.sleep(0.1)
        raise ValueError("the model failed")
    assert "100%" not in failed.getvalue()
