"""A motion photo's clip (``enlight.stream.io.motion_photo``) through the video pipeline, so that the enhanced
photo keeps its motion, enhanced as the picture is.

The clip is enhanced as a video file would be (temporal smoothing, its audio and timing kept), with a plan made
for its own size from the photo's plan options (``--quality auto`` then chooses as it does for a video: the
picture's ``best`` would take minutes for a phone's 3-second clip on a CPU). Only a JPEG output holds a motion
photo; another format gets the picture alone, its XMP saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from enlight.errors import EnlightError
from enlight.stream.apps.workload import probe_workload
from enlight.stream.core.plan import InferencePlan, make_plan
from enlight.stream.io.heif_auxiliary import GAIN_MAP, auxiliary_note
from enlight.stream.io.locations import input_location
from enlight.stream.io.motion_photo import Trailer, is_motion_photo, rewrite_xmp
from enlight.stream.io.photo_formats import JPEG_SUFFIXES
from enlight.stream.io.photo_reader import Photo
from enlight.stream.io.temporary import remove_stale, temporary_path


@dataclass(frozen=True)
class Carried:
    """What the enhanced photo carries of its source's trailer: ``photo`` with its XMP describing the new file,
    ``trailer`` the bytes written after the picture (the enhanced clip; b'' for none), ``note`` what was done or
    left out, in words ('' for nothing to say)."""

    photo: Photo
    trailer: bytes
    note: str

    @classmethod
    def written(cls, photo: Photo, clip: bytes, *notes: str) -> Carried:
        """``photo`` followed by ``clip`` (b'': no video), its XMP rewritten to say so; the non-empty ``notes``
        joined."""
        xmp = rewrite_xmp(photo.xmp, len(clip) if clip else None)
        return cls(replace(photo, xmp=xmp), clip, "; ".join(filter(None, notes)))


def carry_trailer(photo: Photo, trailer: Trailer, output: Path, plan: InferencePlan, plan_options: dict | None,
                  grey: str) -> Carried:
    """The clip of ``trailer`` enhanced into the JPEG ``output``'s trailer, or left out (another format, or no clip
    where the XMP said), the XMP made to say what the new file holds. plan: the photo's plan, used for the clip
    when there are no ``plan_options``."""
    gone = auxiliary_note(tuple(dict.fromkeys(_describe(semantic) for semantic in trailer.left_out)))
    left = "; ".join(filter(None, [gone, _records(trailer.records)]))
    if trailer.video is None:
        missing = "its XMP named a motion photo video that could not be found in the file; the picture alone was " \
            "kept" if is_motion_photo(photo.xmp) else ""
        return Carried.written(photo, b"", missing, left)
    if output.suffix.lower() not in JPEG_SUFFIXES:
        note = f"the motion photo's video was not kept: a {output.suffix} file cannot hold one (a .jpg output keeps it)"
        return Carried.written(photo, b"", note, left)
    clip, frames = enhance_clip(trailer.video, output, plan, plan_options, grey)
    named = "" if is_motion_photo(photo.xmp) else ", named in its XMP as Google's motion photos are (its Samsung " \
        "trailer named it before)"
    return Carried.written(photo, clip, f"its motion photo video was enhanced too ({frames} frames){named}", left)


def _records(names: tuple[str, ...]) -> str:
    """What a note says of a Samsung trailer's records left out ('' for none)."""
    if not names:
        return ""
    return f"the records of its Samsung trailer were left out ({', '.join(dict.fromkeys(names))})"


def _describe(semantic: str) -> str:
    """An appended item's semantic in ``auxiliary_note``'s words."""
    return {"GainMap": GAIN_MAP, "Depth": "depth map"}.get(semantic, f"appended {semantic or 'item'}")


def enhance_clip(video: bytes, output: Path, plan: InferencePlan, plan_options: dict | None,
                 grey: str) -> tuple[bytes, int]:
    """(the enhanced clip's MP4 bytes, its frame count) for ``video`` (an MP4's bytes), through temporary files
    beside ``output``."""
    import av

    from enlight.stream.apps.pipeline import Interrupted, PipelineConfig, run

    remove_stale(output.with_suffix(".mp4"))  # what a run killed while it enhanced this clip left
    source, result = temporary_path(output.with_suffix(".mp4")), temporary_path(output.with_suffix(".mp4"))
    try:
        source.write_bytes(video)
        workload = probe_workload(input_location(str(source)))
        clip_plan = make_plan(**{**plan_options, "workload": workload}) if plan_options else plan
        stats = run(PipelineConfig(input=source, output=result, plan=clip_plan, grey=grey, progress=False))
        return result.read_bytes(), stats.frames
    except (EnlightError, av.error.FFmpegError, OSError) as exc:
        raise EnlightError(f"the motion photo's video for {output.name} could not be enhanced: {exc}") from None
    except Interrupted as stop:  # Ctrl-C or SIGTERM: the photo is not written, so neither is a part of its clip
        if stop.partial is not None:
            stop.partial.unlink(missing_ok=True)
        raise
    finally:
        source.unlink(missing_ok=True)
        result.unlink(missing_ok=True)
