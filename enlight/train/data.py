"""Unpaired training data: random crops of low-light images, each with a random normal-light one.

The photos Pillow reads by itself (IMAGE_SUFFIXES: JPEG, PNG, TIFF, WebP, BMP, Netpbm, Targa and JPEG 2000 files;
not HEIC, AVIF, JPEG XL or raw, which the product reads: a note says so; both lists are ``enlight.photo_suffixes``).
Images smaller than the crop are resized up (keeping the aspect ratio) before cropping. Random horizontal and
vertical flips, as the release. Randomness is a pure function of (seed, epoch, index), so a resumed run sees the
same crops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Sampler

from enlight.errors import EnlightError
from enlight.ops.luma import attention_map
from enlight.photo_suffixes import PHOTO_INPUTS, PLAIN_PILLOW_SUFFIXES

IMAGE_SUFFIXES = set(PLAIN_PILLOW_SUFFIXES)
# photos the product reads (through enlight.stream.io, which training does not import) and training does not
UNREAD_PHOTO_SUFFIXES = set(PHOTO_INPUTS - PLAIN_PILLOW_SUFFIXES)


def list_images(folder: str | Path, suffixes: set[str] = IMAGE_SUFFIXES) -> list[Path]:
    """The images below ``folder`` (sorted), leaving out those inside a training run's folder there (``run_folders``):
    an ``--out`` inside ``--low`` had its sample grids trained on, as low-light photos, by the next run."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EnlightError(f"image folder not found: {folder}")
    runs = run_folders(folder)
    images = sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes and p.is_file()
                    and not runs.intersection(p.parents))
    if not images and suffixes is IMAGE_SUFFIXES:
        raise EnlightError(f"no images in {folder} (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return images


def run_folders(folder: Path) -> set[Path]:
    """The training runs' folders below ``folder`` (not itself): each holds losses.jsonl or checkpoints/."""
    runs = {p.parent for p in folder.rglob("losses.jsonl")} | {p.parent for p in folder.rglob("checkpoints")
                                                                if p.is_dir()}
    runs.discard(folder)
    return runs


def unread_photos_note(folders: list[Path]) -> str | None:
    """A note on the photos in ``folders`` that training does not read (HEIC, AVIF, JPEG XL, raw: it left them out
    without a word, so a folder of mixed phone photos trained on a part of them); None when there are none."""
    unread = [p for folder in folders for p in list_images(folder, UNREAD_PHOTO_SUFFIXES)]
    if not unread:
        return None
    kinds, many = ", ".join(sorted({p.suffix.lower() for p in unread})), len(unread) > 1
    return (f"note: {len(unread)} photo{'s' if many else ''} ({kinds}; e.g. {unread[0]}) {'are' if many else 'is'} "
            f"not read for training, only {', '.join(sorted(IMAGE_SUFFIXES))}: convert them (to .png, "
            "say) to train on them")


def load_rgb(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB. A 16-bit grey picture (Pillow's modes I;16 and I) is brought to 8 bits (/ 257): Pillow's
    convert clips it at 255, so a dark 16-bit grey PNG trained as an almost white picture."""
    try:
        with Image.open(path) as img:
            if img.mode.startswith("I"):
                grey = np.clip(np.asarray(img, dtype=np.float64), 0, 65535) / 257
                return np.repeat(np.round(grey).astype(np.uint8)[..., None], 3, axis=2)
            return np.array(img.convert("RGB"))  # a writable copy (torch.from_numpy warns otherwise)
    except OSError as exc:
        raise EnlightError(f"cannot read image {path}: {exc}") from None


def check_images(folders: list[Path], crop: int | None = None) -> list[tuple[Path, int, int]]:
    """Refuse, before any training, folders holding an image that cannot be read (not an image, truncated): one
    stopped a run at the step that drew it, with no checkpoint (with DataLoader workers, as a traceback). Each image is
    decoded (a JPEG at 1/8 size, which reads all of it: 1,584 training photos in 1.7 s on 2 cores). Returns (path,
    width, height) of the images narrower or lower than ``crop``, which ``random_crop`` scales up."""
    bad, small = [], []
    for folder in folders:
        for path in list_images(folder):
            try:
                with Image.open(path) as image:
                    if crop is not None and min(image.size) < crop:
                        small.append((path, *image.size))
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
            except (OSError, SyntaxError, ValueError) as exc:
                bad.append(f"{path} ({exc})")
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        raise EnlightError(f"{len(bad)} training images cannot be read: {'; '.join(bad[:3])}{more}; remove or "
                           "replace them")
    return small


def small_images_note(small: list[tuple[Path, int, int]], crop: int) -> str | None:
    """The note for training images smaller than the crop (``check_images``); None when there are none."""
    if not small:
        return None
    path, width, height = min(small, key=lambda item: min(item[1:]))
    return (f"note: {len(small)} training image{'s are' if len(small) > 1 else ' is'} smaller than the crop of {crop} "
            f"px and scaled up to it (the smallest: {path.name}, {width}x{height}); scaled-up pictures are soft, "
            f"a smaller --crop takes them as they are")


def random_crop(image: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """A (crop, crop, 3) window; smaller images are first resized up so the short side is ``crop``."""
    h, w = image.shape[:2]
    if h < crop or w < crop:
        scale = crop / min(h, w)
        size = (max(crop, round(w * scale)), max(crop, round(h * scale)))
        image = np.array(Image.fromarray(image).resize(size, Image.BICUBIC))  # (writable: torch.from_numpy warns)
        h, w = image.shape[:2]
    y = int(rng.integers(0, h - crop + 1))
    x = int(rng.integers(0, w - crop + 1))
    return image[y : y + crop, x : x + crop]


def random_flip(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < 0.5:
        image = image[:, ::-1]
    if rng.random() < 0.5:
        image = image[::-1]
    return image


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (3, H, W) float32 RGB in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float().div(127.5).sub(1)


VALIDATION = 40  # low-light images the zerodce recipe holds out of a folder of 400 or more (the project's: 534)


def default_validation(count: int) -> int:
    """How many of a folder's ``count`` low-light images the zerodce recipe holds out when --validation is not given:
    ``VALIDATION`` from 400 images on, a tenth (rounded down) of a smaller folder, so that 30 photos train on 27 (40
    refused them all); none under 10."""
    return min(VALIDATION, count // 10)


def validation_split(images: list[Path], count: int) -> tuple[list[Path], list[Path]]:
    """(train, validation): ``count`` images held out, evenly spread over the sorted list.

    Deterministic (depends only on the file names), so every run and every evaluation holds out
    the same images.
    """
    images = sorted(images)
    if count <= 0:
        return images, []
    if count >= len(images):
        raise EnlightError(f"cannot hold out {count} of {len(images)} images for validation: give more images or a "
                           f"smaller --validation (0 for none)")
    held = set(np.linspace(0, len(images) - 1, count).round().astype(int).tolist())
    return [p for i, p in enumerate(images) if i not in held], [p for i, p in enumerate(images) if i in held]


class UnpairedDataset(Dataset):
    """Item ``epoch * len(self) + i`` (see ``EpochSampler``) is a dict of

    low (3, crop, crop) and normal (3, crop, crop) float32 RGB in [-1, 1], attention (1, crop, crop)
    in [0, 1] computed from ``low``; the normal image is drawn at random for each item.
    """

    def __init__(self, low_dir: str | Path | list[Path], normal_dir: str | Path, *, crop: int = 320,
                 seed: int = 0) -> None:
        self.low = list(low_dir) if isinstance(low_dir, list) else list_images(low_dir)
        self.normal = list_images(normal_dir)
        self.crop = crop
        self.seed = seed

    def __len__(self) -> int:
        return len(self.low)

    def __getitem__(self, code: int) -> dict[str, torch.Tensor]:
        epoch, index = divmod(int(code), len(self.low))
        rng = np.random.default_rng([self.seed, epoch, index])
        low = random_flip(random_crop(load_rgb(self.low[index]), self.crop, rng), rng)
        normal_path = self.normal[int(rng.integers(len(self.normal)))]
        normal = random_flip(random_crop(load_rgb(normal_path), self.crop, rng), rng)
        low_t = to_tensor(low)
        return {"low": low_t, "normal": to_tensor(normal), "attention": attention_map(low_t[None])[0]}


class EpochSampler(Sampler[int]):
    """A fresh permutation per epoch, from ``start_step`` on; yields ``epoch * size + index`` codes.

    With fewer items than ``batch_size`` an epoch is one step whose batch holds each item more than once
    (``repeats`` permutations, each with its own code, so each draw gets its own crop and flip): a folder of
    3 photos trains at batch 32 instead of yielding no full batch at all.
    """

    def __init__(self, size: int, *, batch_size: int, seed: int = 0, start_step: int = 0, epochs: int = 10**6) -> None:
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.steps_per_epoch = max(1, size // batch_size)
        self.repeats = -(-batch_size // size) if 0 < size < batch_size else 1
        self.start_step, self.epochs = start_step, epochs

    def __iter__(self):
        epoch, skip = divmod(self.start_step, self.steps_per_epoch)
        while epoch < self.epochs:
            codes = []
            for draw in range(epoch * self.repeats, (epoch + 1) * self.repeats):
                order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed * 100_003 + draw))
                codes += [draw * self.size + index for index in order.tolist()]
            yield from codes[: self.steps_per_epoch * self.batch_size][skip * self.batch_size :]
            epoch, skip = epoch + 1, 0

    def __len__(self) -> int:
        return max(0, self.epochs * self.steps_per_epoch - self.start_step) * self.batch_size
