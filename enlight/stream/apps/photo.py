"""``enhance_photo(config)``: one photo in, the enhanced photo out, through the same model path as video.

The plan's Enhancer runs with temporal smoothing off (one frame has no past). Grey is decided from
the photo's own chroma (``--grey auto``: a one-channel file, or an RGB file whose chroma carries
nothing, stays grey). The denoise step (``--denoise``) and then the deband step (``--deband``), on by default as for
video, run once on the whole 8-bit picture before it is enhanced, whole or in tiles (``photo_prepare``): a photo's
sensor noise, and a JPEG's dark, nearly flat regions kept as 8x8 blocks of one code value, as a video codec keeps
them (docs/quality.md, "Noise in photos" and "Codec blocks in photos"). 16-bit PNG/TIFF, a HEIF or AVIF of 10 or
12 bits, a JPEG XL, Netpbm or JPEG 2000 file of more than 8, a 32-bit floating-point TIFF (read as 16) and a developed
camera RAW: the model sees
the photo rounded to 8 bits; written deep (16-bit PNG/TIFF/JPEG XL/Netpbm, 10-bit HEIC), the result is carried to
16 bits through the model itself (``photo_deep``), elsewhere by adding its correction (enhanced - input, in 8-bit
steps) to the 16-bit pixels, so the input's fine gradations are kept; such a photo is not debanded (its rounding to
8 bits reads as flat steps, and smoothing them would add that rounding to the deep pixels). Into an output that
holds fewer bits than the file had, a note says so. An HDR photo (a HEIF or AVIF tagged PQ or HLG) is converted to
SDR first, or kept HDR with ``--hdr keep`` (``photo_hdr``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from enlight.errors import EnlightError
from enlight.stream.apps.compare import compared_photo
from enlight.stream.apps.motion_clip import Carried, carry_trailer
from enlight.stream.apps.photo_deep import DEEP_BYTES_PER_PIXEL, deep_result, takes_deep
from enlight.stream.apps.photo_hdr import photo_for_model
from enlight.stream.apps.photo_prepare import PhotoNoise, deband_photo, denoise_photo
from enlight.stream.backends.base import Backend
from enlight.stream.core.denoise_config import DenoiseConfig
from enlight.stream.core.enhancer import Enhancer
from enlight.stream.core.exposure import ExposureFloor
from enlight.stream.core.memory import MODEL_FACTOR, WORK_BYTES_PER_PIXEL, Budget, gib_text, memory_budget
from enlight.stream.core.plan import InferencePlan, build_backend, make_plan, photo_estimate
from enlight.stream.core.tiles import ALIGN, enhance_in_tiles, margin_for, tile_count, tile_side
from enlight.stream.io.animation import (
    ANIMATED_OUTPUTS,
    check_animated_output,
    frame_count,
    read_animation,
    write_animation,
)
from enlight.stream.io.annotations import unkept_metadata
from enlight.stream.io.checks import check_photo_paths
from enlight.stream.io.chroma import carries_chroma
from enlight.stream.io.float_photo import FLOAT_BITS
from enlight.stream.io.heif_auxiliary import auxiliary_images, auxiliary_note
from enlight.stream.io.motion_photo import is_motion_photo, read_trailer
from enlight.stream.io.photo_formats import (
    ALPHA_FORMATS,
    BARE_FORMATS,
    DEEP_OUTPUT_BITS,
    SRGB_FORMATS,
    check_fits_format,
    holds_resolution,
    photo_format,
    photo_size,
    written_bits,
)
from enlight.stream.io.photo_reader import Photo, read_photo
from enlight.stream.io.photo_writer import too_long_for_jpeg, write_photo
from enlight.stream.io.rgb_profile import srgb_note
from enlight.stream.io.transparent_fill import fill_transparent
from enlight.text import counted

DEFAULT_PHOTO_QUALITY = 95
TIMED_BAR_S = 5.0  # a photo enhanced whole gets a bar over the clock from this estimate up
BATCH = 4  # an animation's frames per Enhancer call


@dataclass(frozen=True)
class PhotoConfig:
    """input/output: photo paths (the format comes from the extension); quality: JPEG/WebP 1..100;
    grey: auto, on or off (as for video)."""

    input: Path
    output: Path
    plan: InferencePlan | None = None  # None: make_plan()'s defaults
    grey: str = "auto"
    quality: int = DEFAULT_PHOTO_QUALITY
    overwrite: bool = False
    max_memory_gb: float | None = None  # the process's limit (--max-memory); None: 80% of the free memory
    progress: bool = False  # a bar over the tiles, or over the clock for a photo enhanced whole (``enhance_picture``)
    # make_plan's keyword arguments ``plan`` was made from: a motion photo's clip gets its own plan from them, for
    # its size (``enlight.stream.apps.motion_clip``); None: the photo's plan
    plan_options: dict | None = None
    compare: str | None = None  # 'split' or 'side': the original with the enhanced photo (``compared_photo``)
    hdr: str = "sdr"  # a PQ or HLG photo: 'sdr' converts it to SDR, 'keep' keeps its HDR (``photo_for_model``)


@dataclass(frozen=True)
class PhotoStats:
    width: int
    height: int
    bits: int
    wall_s: float
    output: Path
    backend: str
    colour: str
    tiles: int = 0  # how many tiles it was enhanced in for memory (0: in one piece)
    count: int = 1  # frames: more than 1 for an animated picture
    merged: int = 0  # of those, how many the WebP encoder merged into an identical frame before (durations added)
    pages: int = 1  # a multi-page TIFF's pages: only the first is enhanced and written
    unkept: tuple[str, ...] = ()  # metadata the output format has no place for ('IPTC', 'JPEG comment', ...)
    motion: str = ""  # what became of a motion photo's clip or a gain map (``motion_clip.Carried.note``)
    debanded: float = 0.0  # the share of the picture's pixels the deband step changed (``deband_photo``)
    noise: PhotoNoise = PhotoNoise()  # what the denoise step did (``denoise_photo``)
    sixteen: str = ""  # how a 16-bit result was made, where through the model (``_sixteen_bits``)
    exposure: str = ""  # what --exposure did ('to 100: lifted'; ``ExposureFloor.describe_still``), '' when off
    source_bits: int = 8  # the bits a channel of the file (``Photo.bits``): more than ``bits``, a note says so
    colour_note: str = ""  # what of its colours could not be converted honestly (``Photo.colour_note``)
    hdr: str = ""  # what was done with an HDR (PQ, HLG) photo (``photo_for_model``), '' for an SDR one

    @property
    def frames(self) -> int:
        return self.count

    def _pages_note(self) -> str:
        return f"page 1 of {self.pages}: the other pages are not written" if self.pages > 1 else ""

    def _unkept_note(self) -> str:
        return f"not kept, a {self.output.suffix} file has no place for them: {', '.join(self.unkept)}" \
            if self.unkept else ""

    def _depth_note(self) -> str:
        if self.source_bits <= self.bits:
            return ""
        deeper = ", .heic 10" if self.bits < DEEP_OUTPUT_BITS[".heic"] else ""
        if self.source_bits == FLOAT_BITS:  # (a float TIFF: no output here holds floats)
            held = f": a {self.output.suffix} file holds {self.bits}; .png and .tif hold 16{deeper}" if self.bits < 16 \
                else ""
            return f"its {FLOAT_BITS}-bit floating-point values written as {self.bits}-bit integers{held}"
        return (f"the photo's {self.source_bits} bits per channel written at {self.bits}: a {self.output.suffix} file "
                f"holds {self.bits}; .png and .tif hold 16{deeper}")

    def notes(self) -> tuple[str, ...]:
        """What of the picture was not written, for a folder's table (the summary line says it too)."""
        return tuple(note for note in (self._pages_note(), self.hdr, self.colour_note, self._depth_note(),
                                       self._unkept_note(), self.motion) if note)

    def summary(self) -> str:
        pieces = f", in {self.tiles} tiles to fit in memory" if self.tiles else ""
        what = "photo" if self.count == 1 else f"animation of {counted(self.count, 'frame')}"
        if self.pages > 1:
            what += f" ({self._pages_note()})"
        if self.merged:  # one left is a still WebP: no duration
            added = ", their durations added" if self.count - self.merged > 1 else ""
            what += f", written as {self.count - self.merged} (identical frames merged{added})"
        unkept = "".join(f" ({note})" for note in (self.hdr, self.colour_note, self._depth_note(), self._unkept_note())
                         if note)
        share = f"{self.debanded:.1%}" if self.debanded >= 0.001 else "under 0.1%"
        deband = f"deband {share} of the pixels" if self.debanded else ""
        exposure = f"exposure {self.exposure}" if self.exposure else ""
        steps = "".join(f"{step}, " for step in (self.noise.summary(), deband, exposure, self.sixteen) if step)
        motion = f"; {self.motion}" if self.motion else ""
        return (f"{self.width}x{self.height} {self.bits}-bit {what} in {self.wall_s:.1f} s ({self.backend}, "
                f"{steps}{self.colour}{pieces}) -> {self.output}{unkept}{motion}")


def unkept_in(photo: Photo, output: Path, *, grey: bool = True) -> tuple[str, ...]:
    """What of ``photo`` a photo file at ``output`` has no place for: metadata (``unkept_metadata``; a BMP, Netpbm,
    Targa or JPEG 2000 file gets its pixels alone, the profile converted to sRGB), the print resolution (a Netpbm file,
    a Targa or a .j2k states none: ``holds_resolution``), a transparency that is used (a JPEG, BMP or Netpbm file has no
    alpha; a GIF's is on or off), and the colour of a picture that is not ``grey`` in a .pgm (it holds one channel)."""
    fmt = photo_format(output)
    lost = unkept_metadata(photo.annotations, fmt, profiled=bool(photo.icc), source=photo.format)
    if fmt == "JPEG":
        lost = too_long_for_jpeg(photo) + lost
    if fmt in BARE_FORMATS:  # (Pillow writes their pixels, in sRGB, and a BMP's or a .jp2's resolution, only)
        held = (("EXIF (camera, date, GPS)", photo.exif), ("XMP", photo.xmp))
        lost = tuple(name for name, there in held if there) + lost
    if photo.dpi and not holds_resolution(output):
        lost += (f"the print resolution ({_dpi_text(photo.dpi)})",)
    if photo.alpha is not None and fmt not in ALPHA_FORMATS and bool((photo.alpha < 255).any()):
        lost += ("the alpha channel (transparency)",)
    if photo.alpha is not None and fmt == "GIF" and bool(((photo.alpha > 0) & (photo.alpha < 255)).any()):
        lost += ("partial transparency (a .gif pixel is transparent or not: those under half opacity are made "
                 "transparent)",)
    if not grey and output.suffix.lower() == ".pgm":
        lost += ("the colour (written as grey, its luma; a .ppm keeps it)",)
    return lost


def _dpi_text(dpi: tuple[float, float]) -> str:
    """A print resolution (horizontal, vertical) in words: '300 dpi', '300x150 dpi' (to 0.1: a PNG states it in
    whole pixels a metre, its 150 read back as 150.0124)."""
    x, y = (f"{round(value, 1):g}" for value in dpi)
    return f"{x} dpi" if x == y else f"{x}x{y} dpi"


def still_plan(plan: InferencePlan) -> InferencePlan:
    """The plan for one still frame: temporal smoothing off; the presets, the model, the denoiser and the deband step
    kept (they run on the whole picture first: ``photo_prepare``). The denoiser, where on, in its one-frame form with
    the bilateral: a reduced-size preset on a CPU leaves it out of video for its cost per frame
    (``plan.denoise_config``), which one frame does not repeat (0.05 s more at 0.5 megapixels)."""
    denoise = replace(plan.denoise, still=True, refine=True, bilateral=True) if plan.denoise.enabled else plan.denoise
    return replace(plan, smoothing=replace(plan.smoothing, strength=0.0), denoise=denoise)


def is_grey(photo: Photo, mode: str) -> bool:
    """--grey for a photo: on/off as asked; auto: grey when the file has one channel or no chroma."""
    if mode != "auto":
        return mode == "on"
    return photo.grey or not carries_chroma(av.VideoFrame.from_ndarray(photo.rgb, format="rgb24"))


def apply_to_16bit(rgb16: np.ndarray, rgb8: np.ndarray, enhanced8: np.ndarray) -> np.ndarray:
    """The 8-bit correction (enhanced8 - rgb8) added to the 16-bit pixels (1 step of 8 bits = 257);
    where the 8-bit result is black or white, so is the 16-bit one."""
    delta = (enhanced8.astype(np.int32) - rgb8.astype(np.int32)) * 257
    out = np.clip(rgb16.astype(np.int32) + delta, 0, 65535)
    out[enhanced8 == 255] = 65535
    out[enhanced8 == 0] = 0
    return out.astype(np.uint16)


# what a photo in tiles holds beside the model's work, a pixel: the picture (3 bytes; as read, and denoised or
# debanded where they change it), the tiles' float sum and weights (16) and the uint8 result (3), and a few spare.
# Measured on a 48-megapixel photo under --max-memory 2 with --quality fast: 4 bytes before the tiles, peak 1.28 GB
# (2.34 GB when the sum was rounded whole, ``enlight.stream.core.tiles``: 36 bytes of temporaries more)
PHOTO_BYTES_PER_PIXEL = 28


def tile_layout(height: int, width: int, plan: InferencePlan, budget: Budget) -> tuple[int, int] | None:
    """(tile side, margin) for a height x width picture whose model work does not fit ``budget``
    (``enlight.stream.core.tiles``); None when it fits in one piece. Raises ``EnlightError`` when not even a
    small tile fits."""
    per_pixel = WORK_BYTES_PER_PIXEL.get(plan.quality, 1000) * MODEL_FACTOR.get(plan.model, 2.0)
    fits = int((budget.left - PHOTO_BYTES_PER_PIXEL * height * width) / per_pixel)
    if height * width <= fits:
        return None
    margin = margin_for(plan.scale)
    side = tile_side(fits, margin)
    if side < 4 * ALIGN:
        need = (4 * ALIGN + 2 * margin) ** 2 * per_pixel + PHOTO_BYTES_PER_PIXEL * height * width
        raise EnlightError(f"a {width}x{height} photo needs at least {gib_text(need)} of working memory with "
                           f"--quality {plan.quality}, even in tiles; {budget.explain()}")
    return side, margin


def fits_before_reading(path: Path, plan: InferencePlan, max_memory_gb: float | None) -> None:
    """Refuse in one line (``tile_layout``'s EnlightError), before it is decoded, a photo that would not fit in the
    run's memory even in tiles, from the size its header states: a 200-megapixel phone photo needs 5.6 GB, a file
    whose header claims gigapixels of a flat colour (a few kB: a decompression bomb) would need more than there is.
    A header that cannot be read is left to ``read_photo`` to report."""
    size = photo_size(path)
    if size is not None:
        tile_layout(size[1], size[0], plan, memory_budget(max_memory_gb))


def enhance_picture(rgb: np.ndarray, plan: InferencePlan, backend: Backend, *, grey: bool,
                    layout: tuple[int, int] | None, progress: bool = False, seconds: float | None = None,
                    floor: ExposureFloor | None = None) -> np.ndarray:
    """(H, W, 3) uint8 -> the same, enhanced by a fresh Enhancer per piece: whole (``layout`` None), else in the
    tiles of ``layout`` (``tile_layout``: side, margin), with a bar over them if ``progress``; whole, with a bar over
    the clock if ``progress`` and the estimate ``seconds`` is at least TIMED_BAR_S (one model call reports nothing
    while it runs). In tiles, the stages after the model that look at the whole picture (``--exposure``'s curve,
    found on its histogram, and the detail step after it) run once on the assembled picture, so that no tile gets a
    brightness of its own. floor: the ``ExposureFloor`` that runs ``--exposure`` (for the caller to read what it
    did); None: the plan's own."""
    if layout is None:
        enhancer = Enhancer.from_plan(plan, backend, grey=grey)
        if floor is not None:
            enhancer.set_floor(floor)
        return _timed(lambda: enhancer(rgb[None])[0], seconds if progress else None, "photo")
    from enlight.progress_bar import progress_bar

    tile_plan = replace(plan, exposure=0.0, detail=0.0)

    def enhance(part: np.ndarray) -> np.ndarray:
        return Enhancer.from_plan(tile_plan, backend, grey=False)(part[None])[0]

    with progress_bar(total=tile_count(*rgb.shape[:2], layout[0]), unit="tile", disable=not progress) as bar:
        tiled = enhance_in_tiles(enhance, rgb, *layout, on_tile=bar.update)
    return finish_whole(rgb, tiled, plan, grey=grey, floor=floor)


def finish_whole(rgb: np.ndarray, enhanced: np.ndarray, plan: InferencePlan, *, grey: bool,
                 floor: ExposureFloor | None = None) -> np.ndarray:
    """The stages after ``Combine`` (``Exposure``, ``Detail``, ``Grey``, as the plan has them) on a whole picture
    that was enhanced in pieces without them: rgb, enhanced (H, W, 3) uint8 -> the same, in their CPU forms;
    ``floor``: the ``ExposureFloor`` to run (None: the plan's own)."""
    from enlight.stream.core.cpu import stages
    from enlight.stream.core.enhancer import after_combine
    from enlight.stream.core.work import Work

    work = Work(pixels=rgb[None], result=enhanced[None])
    if floor is None and plan.exposure:
        floor = ExposureFloor(plan.exposure)
    finishing = after_combine(stages, floor, plan.detail) + ([stages.Grey()] if grey else [])
    for stage in finishing:
        work = stage(work)
    return work.result[0]


def enhance_photo(config: PhotoConfig, *, backend: Backend | None = None) -> PhotoStats:
    """Enhance ``config.input`` into ``config.output`` (temporary file + atomic rename); an animated WebP or PNG
    frame by frame (``enhance_animation``)."""
    start = time.perf_counter()
    check_photo_paths(Path(config.input), Path(config.output), overwrite=config.overwrite)
    if frame_count(Path(config.input)) > 1:
        if config.compare is not None:
            raise EnlightError(f"--compare applies to a video or a still photo; {Path(config.input).name} is an "
                               "animated picture")
        return enhance_animation(config, backend=backend)
    plan = still_plan(config.plan or make_plan())
    fits_before_reading(Path(config.input), plan, config.max_memory_gb)
    photo, hdr = photo_for_model(read_photo(Path(config.input)), config.hdr, Path(config.output))
    photo = _transparent_filled(photo)
    check_fits_format(Path(config.output), photo.rgb.shape[1] * (2 if config.compare == "side" else 1),
                      photo.rgb.shape[0])
    label = backend.name if backend is not None else plan.label
    grey = is_grey(photo, config.grey)
    backend = backend or build_backend(plan)
    budget = memory_budget(config.max_memory_gb)
    layout = tile_layout(*photo.rgb.shape[:2], plan, budget)
    rgb, noise = denoise_photo(photo.rgb, plan.denoise, budget)
    rgb, debanded = deband_photo(rgb, plan, deep=photo.rgb16 is not None, chroma_step=photo.chroma_step)
    seconds = photo_estimate(plan, rgb.shape[0] * rgb.shape[1] / 1e6) if config.progress and not layout else None
    floor = ExposureFloor(plan.exposure) if plan.exposure else None
    enhanced = enhance_picture(rgb, replace(plan, deband=False, denoise=DenoiseConfig()), backend, grey=grey,
                               layout=layout, progress=config.progress, seconds=seconds, floor=floor)
    rgb16, sixteen = _sixteen_bits(config, photo, enhanced, (plan, backend, budget), grey=grey)
    carried = _trailer(config, photo)
    if config.compare is not None:  # the motion clip (enhanced alone) is not a comparison: left out
        written, enhanced, rgb16 = compared_photo(config.compare, carried.photo, enhanced, rgb16)
        carried = Carried.written(written, b"", "the motion photo's video was left out of the --compare "
                                  "picture") if carried.trailer else Carried(written, b"", carried.note)
    write_photo(Path(config.output), enhanced, carried.photo, rgb16=rgb16, quality=config.quality,
                overwrite=config.overwrite, trailer=carried.trailer)
    height, width = enhanced.shape[:2]
    return PhotoStats(width=width, height=height, bits=written_bits(Path(config.output), rgb16 is not None),
                      wall_s=time.perf_counter() - start, output=Path(config.output), backend=label,
                      colour="grey" if grey else "colour",
                      tiles=0 if layout is None else tile_count(*photo.rgb.shape[:2], layout[0]),
                      pages=photo.pages if photo.format == "TIFF" else 1,
                      unkept=unkept_in(photo, Path(config.output), grey=grey), motion=carried.note,
                      debanded=debanded, noise=noise, sixteen=sixteen,
                      exposure=floor.describe_still() if floor is not None else "", source_bits=photo.bits,
                      colour_note=_colour_note(photo, Path(config.output), deep=rgb16 is not None), hdr=hdr)


def _transparent_filled(photo: Photo) -> Photo:
    """``photo`` whose fully transparent pixels (alpha 0) take the colour of the opaque picture near them, at 8 and 16
    bits alike (``transparent_fill``): the model saw the colour a file stores there (white, in some editors' PNGs)
    as picture. The alpha is written as it was, so they stay transparent; an output without alpha shows them."""
    if photo.alpha is None:
        return photo
    rgb16 = None if photo.rgb16 is None else fill_transparent(photo.rgb16, photo.alpha)
    return replace(photo, rgb=fill_transparent(photo.rgb, photo.alpha), rgb16=rgb16)


def _colour_note(photo: Photo, output: Path, *, deep: bool) -> str:
    """``photo.colour_note``, with what writing it as a .jxl, Netpbm, Targa or JPEG 2000 file (sRGB only) did to its
    profile (``srgb_note``)."""
    written = srgb_note(photo.icc, output.suffix, deep=deep) if photo_format(output) in SRGB_FORMATS else ""
    return "; ".join(note for note in (photo.colour_note, written) if note)


def _sixteen_bits(config: PhotoConfig, photo: Photo, enhanced: np.ndarray, run: tuple, *,
                  grey: bool) -> tuple[np.ndarray | None, str]:
    """The 16-bit result of a 16-bit or deep HEIF/AVIF photo (None for an 8-bit one): through the model
    (``photo_deep``) where the output holds more than 8 bits (``written_bits``) and ``run`` (plan, backend, memory
    budget) allows it, whole or in tiles that fit the budget with the 16-bit runs' own arrays beside them, with a bar
    over the clock; else the 8-bit correction added (``apply_to_16bit``). With what the summary says of the former
    ('' otherwise)."""
    if photo.rgb16 is None:
        return None, ""
    plan, backend, budget = run
    height, width = photo.rgb16.shape[:2]
    if written_bits(Path(config.output), True) <= 8 or not takes_deep(plan):
        return apply_to_16bit(photo.rgb16, photo.rgb, enhanced), ""
    try:
        layout = tile_layout(height, width, plan, replace(budget, left=budget.left - DEEP_BYTES_PER_PIXEL *
                                                                   height * width))
    except EnlightError:  # not even small tiles fit beside the 16-bit arrays
        return apply_to_16bit(photo.rgb16, photo.rgb, enhanced), ""
    seconds = photo_estimate(plan, height * width / 1e6) if config.progress else None
    start = time.perf_counter()
    rgb16 = _timed(lambda: deep_result(photo.rgb16, photo.rgb, enhanced, backend, detail=plan.detail, grey=grey,
                                       layout=layout), None if seconds is None else 2 * seconds, "16 bits")
    return rgb16, f"16 bits through the model ({time.perf_counter() - start:.1f} s)"


def _timed(work: Callable[[], np.ndarray], seconds: float | None, desc: str) -> np.ndarray:
    """``work()``, under a bar over the clock (``progress_bar.timed_bar``) where its estimate ``seconds`` is at least
    TIMED_BAR_S (None: no bar): one model call on a whole picture reports nothing while it runs."""
    if seconds is None or seconds < TIMED_BAR_S:
        return work()
    from enlight.progress_bar import timed_bar

    with timed_bar(seconds, desc=desc):
        return work()


def _trailer(config: PhotoConfig, photo: Photo) -> Carried:
    """What of a JPEG's trailer (a motion photo's clip, a gain map) the output carries (``carry_trailer``); a note
    for the other pictures of an MPF file (Pillow's 'MPO': an Ultra HDR gain map, a stereo camera's second view)
    that its XMP does not list: only the first is enhanced and written."""
    if photo.format not in ("JPEG", "MPO"):
        beside = auxiliary_note(auxiliary_images(Path(config.input))) if photo.format == "HEIF" else ""
        if not is_motion_photo(photo.xmp):
            return Carried(photo, b"", beside)
        return Carried.written(photo, b"", "the motion photo's video was not kept: it is carried from a JPEG motion "
                               f"photo, not a {photo.format} one", beside)  # HEIC: in a box
    found = read_trailer(Path(config.input), photo.xmp)
    if found is None:
        others = photo.pages - 1 if photo.format == "MPO" else 0
        return Carried(photo, b"", f"{counted(others, 'other picture')} stored after it (MPF: a gain map, a depth "
                                   "map or another view) left out: the first is enhanced" if others else "")
    return carry_trailer(photo, found, Path(config.output), config.plan or make_plan(), config.plan_options,
                         config.grey)


def enhance_animation(config: PhotoConfig, *, backend: Backend | None = None) -> PhotoStats:
    """An animated WebP or PNG: every frame through one Enhancer with the plan's temporal smoothing (the frames
    are a clip), written as an animated WebP or PNG with the input's alpha (copied, not enhanced), durations,
    loop and metadata. The summary counts the frames written: libwebp merges identical consecutive ones."""
    start = time.perf_counter()
    source, output = Path(config.input), Path(config.output)
    check_animated_output(source, output)
    animation = read_animation(source)
    plan = config.plan or make_plan()
    label = backend.name if backend is not None else plan.label
    frames = animation.frames if animation.alpha is None else np.stack(  # (as a still photo's: ``_transparent_filled``)
        [fill_transparent(frame, alpha) for frame, alpha in zip(animation.frames, animation.alpha, strict=True)])
    grey = config.grey == "on" or (config.grey == "auto" and not any(
        carries_chroma(av.VideoFrame.from_ndarray(frame, format="rgb24")) for frame in frames))
    enhancer = Enhancer.from_plan(plan, backend or build_backend(plan), grey=grey)
    enhanced = np.concatenate([enhancer(frames[i:i + BATCH]) for i in range(0, len(frames), BATCH)])
    write_animation(output, enhanced, animation, quality=config.quality, overwrite=config.overwrite)
    return PhotoStats(width=frames.shape[2], height=frames.shape[1], bits=8, wall_s=time.perf_counter() - start,
                      output=output, backend=label, colour="grey" if grey else "colour", count=len(frames),
                      merged=len(frames) - frame_count(output),
                      unkept=unkept_metadata(animation.annotations, ANIMATED_OUTPUTS[output.suffix.lower()],
                                             profiled=bool(animation.icc)))
