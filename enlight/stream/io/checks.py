"""Checks on the user's input and output names, done before any work (and before torch is imported).

Refuses what cannot work with one line (``EnlightError``): a missing input, a still image given as
a video (photos: ``check_photo_paths``), an output that would overwrite the input or an existing
file, a folder that cannot be written, a container FFmpeg cannot place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import av

from enlight.errors import EnlightError
from enlight.photo_suffixes import PHOTO_INPUTS
from enlight.stream.io.netpbm import BITMAP_SUFFIX, one_bit_error_text
from enlight.stream.io.sequence_patterns import refuse_glob
from enlight.stream.io.temporary import temporary_path

# still-image files: refused as video (animated GIF counts as video); those in
# enlight.stream.io.photo_formats.PHOTO_SUFFIXES are enhanced as photos
STILL_SUFFIXES = PHOTO_INPUTS | {BITMAP_SUFFIX, ".exr"}  # (the two not read: a 1-bit bitmap, OpenEXR)
# FFmpeg demuxers that read single images
STILL_DEMUXERS = ("image2", "_pipe")
# still-image names that also hold an animation written from a video (FFmpeg's animated WebP encoder)
ANIMATED_VIDEO_OUTPUTS = frozenset({".webp"})
# kinds of file that hold sound only (an .m4a is an MP4 that players open as music)
AUDIO_ONLY_SUFFIXES = frozenset({".mp3", ".wav", ".aac", ".m4a", ".flac", ".oga", ".opus", ".wma", ".ac3", ".amr",
                                 ".aiff", ".aif", ".mka"})
# pictures written as photos but not as a video's numbered pictures (FFmpeg has no JPEG XL encoder here)
UNWRITTEN_PICTURES = frozenset({".jxl"})
UNJOINABLE = (".avi",)  # outputs the segments' join cannot write: each AVI part's timing restarts at its start


def still_image_error(path: Path | str, role: str) -> EnlightError:
    from enlight.stream.io.animation import ANIMATED_OUTPUTS, frame_count
    from enlight.stream.io.photo_formats import PHOTO_INPUTS, PHOTO_OUTPUTS

    if role == "input" and Path(path).is_file() and frame_count(Path(path)) > 1:
        return EnlightError(f"input {path} is an animated picture; it is enhanced into an animated "
                            f"{' or '.join(ANIMATED_OUTPUTS)} (every frame, with its timing)")
    suffix = Path(path).suffix.lower()
    if role == "input" and suffix == BITMAP_SUFFIX:
        return EnlightError(f"input {one_bit_error_text(str(path))}")
    if role == "input" and suffix in STILL_SUFFIXES and suffix not in PHOTO_INPUTS:
        return EnlightError(f"input {path} is a picture in a format not read here ({suffix}); convert it into one "
                            f"of {PHOTO_OUTPUTS} first")
    return EnlightError(f"{role} {path} is a still image; a photo ({PHOTO_OUTPUTS}) is enhanced into a photo, "
                        "a video into a video file or stream (e.g. .mp4, .mkv, .mov) or an animated .gif, .webp or "
                        ".apng")


def same_file(output: Path, source: Path) -> bool:
    """Whether writing ``output`` would write over the file ``source``: the same path, or a link to it."""
    return output.resolve() == source.resolve() or (output.exists() and os.path.samefile(output, source))


def check_photo_paths(source: Path, output: Path, *, overwrite: bool) -> None:
    """Refuse, before any work, a photo run that cannot work: the input missing, the output not a photo format (a GIF of
    one picture may be written as a .gif: ``still_gif``), an animated input into a still format (before the estimate of
    its frames' time), the input itself, an existing file (without overwrite) or an unwritable folder."""
    from enlight.stream.io.animation import check_animated_output
    from enlight.stream.io.photo_formats import (
        PHOTO_OUTPUTS,
        PHOTO_SUFFIXES,
        RAW_SUFFIXES,
        require_format_support,
        still_gif,
    )

    if not source.is_file():
        refuse_glob(str(source))
        raise EnlightError(f"input not found: {source}")
    if output.suffix.lower() in RAW_SUFFIXES:
        raise EnlightError(f"a camera RAW photo ({output.name}) is read but not written: give a .tif or .png output "
                           "to keep 16 bits, or .jpg")
    if output.suffix.lower() not in PHOTO_SUFFIXES and not still_gif(source, output):
        raise EnlightError(f"input {source} is a photo; give a photo output ({PHOTO_OUTPUTS}), not {output.name}")
    check_animated_output(source, output)
    if same_file(output, source):
        raise EnlightError(f"output {output} is the input file; choose another name")
    if output.exists() and not overwrite:
        raise EnlightError(f"output exists: {output} (use --force to overwrite)")
    if not output.parent.is_dir():
        raise EnlightError(f"output folder does not exist: {output.parent}")
    check_writable(output.parent, output)
    require_format_support(output)  # its writer (pyjpegxl, OpenJPEG ...), before the work rather than after it


def check_not_still(path: Path, role: str) -> None:
    """Refuse an input or output named like a photo (an output of a kind that also animates, .webp, is let be)."""
    if path.suffix.lower() in STILL_SUFFIXES and not (role == "output" and path.suffix.lower() in
                                                      ANIMATED_VIDEO_OUTPUTS):
        raise still_image_error(path, role)


def check_not_still_from(source: Path, output: Path) -> None:
    """Refuse a still-image output for a video or an animation (``source``, a file) in words that name what holds
    it: a video file, an animated picture, or numbered pictures (one frame: ``--max-frames 1``)."""
    if output.suffix.lower() not in STILL_SUFFIXES - ANIMATED_VIDEO_OUTPUTS:
        return
    kind = "an animated picture" if source.suffix.lower() in (".gif", ".webp", ".png", ".apng") else "a video"
    raise EnlightError(f"output {output} is a still image and input {source} {kind}: write a video file "
                       f"(.mp4, .mkv, .mov), an animated .gif, .webp or .apng, or numbered pictures "
                       f"(-o {output.stem}_%04d{output.suffix}; --max-frames 1 for one frame)")


def check_decodable(container: av.container.InputContainer, stream: av.stream.Stream, path: Path | str) -> None:
    """Refuse a video ``stream`` that this FFmpeg demuxes but has no decoder for (PyAV gives it no codec context:
    a JPEG XL picture, whatever its name, was an internal error), naming what FFmpeg read it as."""
    if stream.codec_context is None:
        raise EnlightError(f"cannot decode {path}: this FFmpeg has no decoder for its video (read as "
                           f"{container.format.long_name or container.format.name})")


def check_input_is_video(container: av.container.InputContainer, path: Path | str) -> None:
    """Refuse an opened input that FFmpeg reads as a single image (whatever its name); a file that an image
    demuxer reads as several pictures (an IP camera's raw MJPEG: ``jpeg_pipe``) is a video."""
    name = container.format.name
    if any(part == "image2" or part.endswith("_pipe") for part in name.split(",")) and _pictures(path) < 2:
        raise still_image_error(path, "input")


def _pictures(path: Path | str) -> int:
    """How many pictures (up to 3) FFmpeg demuxes from the file at ``path``; 1 where it cannot tell; 3 for what is
    not a file (a pipe or a URL of pictures is a stream: it is not opened twice)."""
    if not Path(path).is_file():
        return 3
    try:
        with av.open(str(path)) as container:
            return sum(1 for packet, _ in zip(container.demux(video=0), range(3), strict=False) if packet.size)
    except (av.error.FFmpegError, OSError, ValueError, IndexError):
        return 1


def _example(source: Path | None, folder: Path) -> str:
    """' (e.g. FOLDER/NAME)' for the error of an output that is a folder: the input's name in it, or, where that is
    the input itself (its own folder), the name with '_enhanced' (it suggested overwriting the input)."""
    if source is None:
        return ""
    named = folder / source.name
    if named.resolve() == source.resolve():
        named = folder / f"{source.stem}_enhanced{source.suffix}"
    return f" (e.g. {named})"


def check_paths(source: Path | None, output: Path, *, overwrite: bool, container_from_name: bool = True) -> None:
    """Refuse, before any work, outputs that would overwrite the input or an existing file, or cannot be written.

    source None: the input is a stream. container_from_name False: the muxer is named (--format).
    """
    if source is not None and not source.exists():
        refuse_glob(str(source))
        raise EnlightError(f"input not found: {source}")
    if source is not None and source.is_dir():
        raise EnlightError(f"input is a folder, not a video file: {source}")
    if output.exists() and output.is_dir():  # (before the input's kind: a photo into a folder is this mistake)
        example = _example(source, output)
        raise EnlightError(f"output is a folder, not a file: {output}; give the file to write{example}")
    if container_from_name:
        _check_picture_output(source, output)
    if source is not None:
        check_not_still(source, "input")
    if container_from_name:
        if source is None and output.suffix.lower() in STILL_SUFFIXES - ANIMATED_VIDEO_OUTPUTS:
            raise EnlightError(f"output {output} is a still image, and what a pipe or a URL carries is read as a "
                               "video: a photo is read from its file (give its name, not -)")
        if source is not None and source.is_file():
            check_not_still_from(source, output)
        check_not_still(output, "output")
        if output.suffix.lower() in AUDIO_ONLY_SUFFIXES:
            raise EnlightError(f"output {output} is a kind of file that holds sound only; the enhanced video needs a "
                               "video file (.mp4, .mkv, .mov, ...), which keeps the sound too")
    if source is not None and same_file(output, source):
        raise EnlightError(f"output {output} is the input file; choose another name")
    folder = output.parent
    if not folder.exists():
        raise EnlightError(f"output folder does not exist: {folder}")
    if not folder.is_dir():
        raise EnlightError(f"output folder is not a folder: {folder}")
    if output.exists() and not overwrite:
        raise EnlightError(f"output exists: {output} (use --force to overwrite)")
    if container_from_name and not output.suffix:
        raise EnlightError(f"output {output} has no extension to choose a container from (e.g. .mp4, .mkv)")
    if container_from_name:
        try:
            av.format.ContainerFormat(output.suffix.lstrip(".").lower(), "w")
        except ValueError:
            _check_container_guess(output)
    check_writable(folder, output)


def _check_picture_output(source: Path | None, output: Path) -> None:
    """Refuse a still-picture output that is written from a photo only (.jxl: a video's numbered pictures are not),
    and a photo into a kind of picture that is not a photo output (.exr, .pbm): the input was blamed ('input
    photo.jpg is a still image'), or numbered pictures of that kind were suggested."""
    from enlight.stream.io.photo_formats import PHOTO_OUTPUTS, PHOTO_SUFFIXES, is_photo

    suffix = output.suffix.lower()
    if suffix in UNWRITTEN_PICTURES:
        raise EnlightError(f"output {output}: a video is not written as {suffix} pictures here (FFmpeg has no encoder "
                           f"for them; a photo is); write a video file (.mp4, .mkv, .mov) or numbered pictures "
                           f"(-o {output.stem}_%04d.png)")
    if source is not None and is_photo(source) and suffix in STILL_SUFFIXES - PHOTO_SUFFIXES:
        raise EnlightError(f"output {output} is a kind of picture not written here ({suffix}); write the photo as "
                           f"{PHOTO_OUTPUTS}")


def check_writable(folder: Path, output: Path | None = None) -> None:
    """Refuse a folder that takes no new file (read-only filesystem, immutable folder, no permission, /proc), even
    for root, who passes ``os.access``: a file named as a temporary of ``output`` (of a file in ``folder`` when None)
    is made and deleted there; one a run killed right here left is removed later."""
    probe = temporary_path(output if output is not None else folder / "probe")
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise EnlightError(f"cannot write to output folder {folder}: {exc.strerror or exc}") from None


def _check_container_guess(output: Path) -> None:
    """FFmpeg guesses the muxer from the file name; a name it cannot place is refused up front."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            av.open(str(Path(tmp) / f"probe{output.suffix}"), "w").close()
        except (ValueError, av.error.FFmpegError):
            raise EnlightError(f"unknown output container '{output.suffix}' (use .mp4, .mkv, .mov, ...)") from None
