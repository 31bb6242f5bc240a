"""What both command lines share: one-line argument errors, the new-file check, the error wrapper
that turns every failure into one line and an exit code, and reading one option before parsing."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shlex
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from enlight.errors import EnlightError, disk_full
from enlight.warning_lines import one_line

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class OneLineParser(argparse.ArgumentParser):
    """argparse with one-line errors (its default prints the whole usage block first)."""

    def parse_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else map(str, args))  # (for ``_output_hint``)
        return super().parse_args(args, namespace)

    def error(self, message: str):
        one_line = _many_files(message, self.prog)
        hint = _dash_hint(message) or _output_hint(message, self.prog, getattr(self, "_given", []))
        raise EnlightError(one_line or f"{message}{hint} (see {self.prog} --help)")


def _many_files(message: str, prog: str) -> str | None:
    """argparse's 'unrecognized arguments: ...' where an unquoted ``*`` gave the shell's whole list of files (a
    thousand names on one line), said as their count and the first, with what to give instead; None otherwise."""
    from enlight.stream.io.sequence_patterns import pattern_of

    if not message.startswith("unrecognized arguments: "):
        return None
    files = [word for word in message.split(": ", 1)[1].split() if not word.startswith("-") and os.path.isfile(word)]
    if len(files) < 2:
        return None
    pattern = pattern_of(Path(files[0])) if prog == "enlight-video" else None
    numbered = f"numbered pictures as one video with a frame number pattern in quotes ('{pattern}'), or " \
        if pattern else ""
    return (f"{len(files) + 1} files named where one input is taken ({files[0]} ...: a shell's * names every file "
            f"it matches): give {numbered}their folder (see {prog} --help)")


def _output_hint(message: str, prog: str, given: list[str]) -> str:
    """For ``enlight-video IN OUT`` (the output named as FFmpeg's is, without -o): argparse said only
    'unrecognized arguments: OUT'. The command with -o, where no -o was given and the one word left over is not an
    option."""
    words = message.split(": ", 1)[1].split() if message.startswith("unrecognized arguments: ") else []
    if prog != "enlight-video" or len(words) != 1 or words[0].startswith("-") or any(
            word.startswith(("-o", "--output")) for word in given):
        return ""
    return f"; one input is taken, and the output is named with -o: {prog} {shlex.join(given[:-1])} -o {words[0]}" \
        if given and given[-1] == words[0] else f"; one input is taken, and the output is named with -o {words[0]}"


def _dash_hint(message: str) -> str:
    """For argparse's error about a file whose name starts with '-' (read as an option), how to name it."""
    if message.startswith("unrecognized arguments: "):
        named = [word for word in message.split(": ", 1)[1].split() if word.startswith("-") and os.path.exists(word)]
        return f"; a file name that starts with '-' is read as an option: write ./{named[0]}" if named else ""
    if message.endswith("expected one argument"):
        return "; a value that starts with '-' is written --option=VALUE (a file name: ./-NAME)"
    return ""


def whole_number(text: str) -> int:
    """A whole number (argparse type): a word or a fraction is refused in one line that says what the option takes
    (argparse's own error named the type function: 'invalid positive_int value: 'abc'')."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, not '{text}'") from None


def positive_int(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def finite_float(text: str) -> float:
    """A finite number (argparse type): nan, inf and words are refused in one line."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"takes a number, not '{text}'")
    return value


def float_within(text: str, low: float, high: float) -> float:
    """A number from ``low`` to ``high`` (for an argparse type): a word, nan or inf is refused as 'takes a number from
    0 to 1, not ...', a number outside as 'must be within 0..1, got ...'."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"takes a number from {low:g} to {high:g}, not '{text}'")
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be within {low:g}..{high:g}, got {text}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


MIN_SIDE = 16  # the smallest frame side a benchmark runs at


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); each side at least ``MIN_SIDE``."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes look like 1280x720, got {text}") from None
    if min(width, height) < MIN_SIDE:
        raise argparse.ArgumentTypeError(f"sizes are at least {MIN_SIDE}x{MIN_SIDE}, got {text}")
    return width, height


def parse_video_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); '1280x' or '1280x-1' -> (1280, -1), 'x720' -> (-1, 720) (the picture's shape
    kept: ``enlight.stream.io.resize.fit_size``); '720p' -> (``SHORT_SIDE``, 720): 720 on the short side as shown,
    the shape kept (a portrait clip 720 wide); each given side at least ``MIN_SIDE``."""
    if text.lower().endswith("p") and text[:-1].isdigit():
        from enlight.stream.io.resize import SHORT_SIDE

        if int(text[:-1]) < MIN_SIDE:
            raise argparse.ArgumentTypeError(f"sizes are at least {MIN_SIDE}x{MIN_SIDE}, got {text}")
        return SHORT_SIDE, int(text[:-1])
    try:
        width, height = (int(v) if v else -1 for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes look like 1280x720 (or 1280x, x720, or 720p: the short side), got "
                                         f"{text}") from None
    given = [v for v in (width, height) if v != -1]
    if not given or min(given) < MIN_SIDE:
        raise argparse.ArgumentTypeError(f"sizes are at least {MIN_SIDE}x{MIN_SIDE}, one side may be left out; got "
                                         f"{text}")
    return width, height


def size_list(text: str) -> tuple[tuple[int, int], ...]:
    """'640x360,1280x720' -> ((640, 360), (1280, 720)) (an argparse type: a bad one is a one-line error)."""
    return tuple(parse_size(s) for s in text.split(","))


def positive_int_list(text: str) -> tuple[int, ...]:
    """'1,4,8' -> (1, 4, 8), each at least 1 (an argparse type)."""
    try:
        values = [int(b) for b in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"give whole numbers separated by commas, got {text}") from None
    return tuple(positive_int(str(v)) for v in values)


def check_new_file(path: Path, *, force: bool, suffix: str | None = None) -> None:
    """Refuse, before any work, an output that is not a ``suffix`` file (where one is given: a command that writes
    one kind wrote it over whatever it was named, a video or a photo), whose folder is missing, or that exists
    (without ``force``)."""
    if suffix is not None and path.suffix.lower() != suffix:
        raise EnlightError(f"the output is a {suffix} file, not {path.name}")
    if not path.parent.is_dir():
        raise EnlightError(f"output folder does not exist: {path.parent}")
    if path.exists() and not force:
        raise EnlightError(f"output exists: {path} (use --force to overwrite)")
    from enlight.stream.io.checks import check_writable

    check_writable(path.parent, path)


def check_run_folder(out: Path, option: str = "--out") -> None:
    """Refuse, before any work, a folder to write (a training run's --out, a shard folder) that is a file (an internal
    error once training had started) or that cannot be written: the folder itself, or where it does not exist yet the
    nearest folder above it, must take a new file (a read-only one ended in an internal error)."""
    from enlight.stream.io.checks import check_writable

    if out.exists() and not out.is_dir():
        raise EnlightError(f"{option} {out} is a file; it must be a folder")
    existing = next(folder for folder in (out, *out.absolute().parents) if folder.is_dir())
    try:
        check_writable(existing)
    except EnlightError as exc:
        raise EnlightError(f"{option} {out}: {exc}; pick another {option}") from None


def check_command_name(prog: str, argv: list[str], commands: Iterable[str]) -> None:
    """Refuse a first word that names no file and reads as one of ``commands`` misspelt ('convert-weight',
    'benchmark'): taken for an input file or left to the main parser, it was answered about something else
    ('unrecognized arguments: a.pth b.safetensors', '--low, --normal, --out are required')."""
    import difflib

    word = argv[0] if argv else "-"
    if word.startswith("-") or word in commands or "." in word or "/" in word or Path(word).exists():
        return
    close = difflib.get_close_matches(word, list(commands), n=1, cutoff=0.6)
    if close:
        raise EnlightError(f"no command or file named '{word}'; did you mean '{prog} {close[0]}'? (see {prog} --help)")


def existing_output_line(path: Path | None, *, force: bool) -> list[str]:
    """A dry run's line on an output file that exists, where a run without --force stops (the dry run itself
    shows the plan of the run again)."""
    if path is None or force or not path.is_file():
        return []
    return [f"output: {path} exists; the run needs --force to write over it"]


def take_option(argv: list[str], name: str) -> tuple[str | None, list[str]]:
    """The value of ``name`` (``--name value`` or ``--name=value``) and argv without it; (None, argv)
    when absent. A ``--name`` with no value after it is a one-line error."""
    for i, arg in enumerate(argv):
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1], argv[:i] + argv[i + 1:]
        if arg == name:
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                raise EnlightError(f"argument {name}: expected one argument")
            return argv[i + 1], argv[:i] + argv[i + 2:]
    return None, argv


def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> frozenset[str]:
    """The options ``argv`` gives, by their long names ('--crf', '--output'), whatever their values (an option given
    its default value counts): ``argv`` parsed again with every default left out. ``parser`` is changed: give a
    fresh one, on which ``argv`` has already parsed."""
    from enlight.cli.table import options

    names = {}
    for action in options(parser):
        action.default = argparse.SUPPRESS
        names[action.dest] = action.option_strings[-1]
    return frozenset(names[dest] for dest in vars(parser.parse_args(argv)) if dest in names)


def print_text(text: str) -> None:
    """Print ``text`` to stdout; a reader that left (``--dry-run | head -3``) ends the printing quietly, as it
    does for other commands' text, where it said the output pipe closed 'before the video ended'."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush into a closed pipe stays quiet."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Signals that end a run as Ctrl-C does (``stopped_as_ctrl_c``): `kill`, `timeout`, `docker stop`, systemd, a closed
# terminal. Each left the output's hidden temporary file behind and kept nothing.
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")
_received: list[int] = []  # the stop signal that arrived, if one did


def _raise_interrupt(signum: int, frame) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


@contextlib.contextmanager
def stopped_as_ctrl_c() -> Iterator[None]:
    """Meanwhile SIGTERM and SIGHUP raise KeyboardInterrupt in the main thread, so that a run they stop ends as
    a Ctrl-C does (the frames done kept as NAME.partial.EXT, a training checkpoint saved, a live recording
    finalised) instead of dying with its temporary file left behind. A signal the process was started with
    ignored (``nohup`` ignores SIGHUP) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()  # (a command run again in the same process, as the tests do, starts with none received)
    previous = {}
    for name in _STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:
            previous[number] = signal.signal(number, _raise_interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def stop_name() -> str:
    """What stopped the run, as its summary says it: 'Ctrl-C', or the stop signal's name ('SIGTERM')."""
    return signal.Signals(_received[-1]).name if _received else "Ctrl-C"


def interrupted_exit() -> int:
    """The exit code of a run stopped by Ctrl-C (130) or by a stop signal (128 + its number: 143 for SIGTERM),
    as shells report a process that signal killed."""
    return 128 + _received[-1] if _received else EXIT_INTERRUPTED


@contextlib.contextmanager
def one_line_warnings(prog: str) -> Iterator[None]:
    """Meanwhile a library's Python warning is one line (``enlight.warning_lines.one_line``)."""
    show = one_line(prog)
    if show is None:
        yield
        return
    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run ``command``; a user error is one line and exit 2, Ctrl-C exit 130 (SIGTERM and SIGHUP as Ctrl-C:
    ``stopped_as_ctrl_c``, exit 143 and 129), a bug one line and exit 1 (its traceback with ENLIGHT_DEBUG=1);
    warnings one line each (``one_line_warnings``)."""
    try:
        with stopped_as_ctrl_c(), one_line_warnings(prog):
            return command()
    except EnlightError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return interrupted_exit()
    except BrokenPipeError:  # `-o - | head`: the reader left before the video ended
        _silence_stdout()
        print(f"{prog}: error: the output pipe was closed before the video ended", file=sys.stderr)
        return 1
    except Exception as exc:  # a full disk is the user's to fix; anything else is a bug: one line each
        if disk_full(exc) is not None:
            print(f"{prog}: error: {disk_full(exc)}", file=sys.stderr)
            return EXIT_USAGE
        return _internal_error(prog, exc)


def _internal_error(prog: str, exc: Exception) -> int:
    if os.environ.get("ENLIGHT_DEBUG"):
        raise exc
    first = (str(exc).strip().splitlines() or [""])[0]
    print(f"{prog}: internal error: {type(exc).__name__}: {first} (set ENLIGHT_DEBUG=1 for a traceback)",
          file=sys.stderr)
    return 1
