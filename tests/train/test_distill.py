"""Distillation: the loss by hand, cached teacher targets, real steps at full and reduced scale."""

import numpy as np
import pytest
import torch
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.errors import EnlightError
from enlight.models.weights import load_generator
from enlight.ops.scaled import scaled_enhance
from enlight.train.distill import DistillConfig, DistillTrainer, distill_loss
from tests.media import make_clip, sound_file


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("low")
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray((rng.random((40 + 8 * i, 48, 3)) * 60).astype(np.uint8)).save(root / f"{i}.png")
    return root


def test_distill_loss_by_hand():
    t = torch.zeros(1, 3, 4, 4)
    l1, structure = distill_loss(t + 0.5, t)  # a constant offset: no structure difference
    assert l1.item() == pytest.approx(0.5) and structure.item() == 0
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 3, 4, 4)  # x-gradient 1 everywhere, y 0
    l1, structure = distill_loss(ramp, t, structure_weight=2.0)
    assert l1.item() == pytest.approx(1.5) and structure.item() == pytest.approx(2.0)


def config(images, out, teacher, **changes):
    base = dict(teacher=teacher, images=(images,), out=out, base_channels=8, steps=12, decay_steps=4,
                batch_size=4, crop=32, lr=2e-3, device="cpu", workers=0, checkpoint_every=6, sample_every=6,
                log_every=1)
    base.update(changes)
    return DistillConfig(**base)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_student_approaches_the_teacher(images, weights, tmp_path, scale):
    trainer = DistillTrainer(config(images, tmp_path / "run", weights, scale=scale, cache_teacher=True))
    assert (tmp_path / "run" / "teacher_cache.npz").is_file()
    item = trainer.dataset[1]
    with torch.no_grad():  # the cached target is the teacher's output for that window (up to 8-bit rounding
        expected = trainer.teacher(item["low"][None], item["attention"][None])[0].clamp(-1, 1)  # and context)
    assert (item["target"] - expected).abs().mean() < 0.05
    batch = torch.utils.data.default_collate([trainer.dataset[i] for i in range(4)])
    losses = [trainer.train_step(batch)["loss"] for _ in range(12)]
    assert losses[-1] < 0.7 * losses[0]
    low, attention = batch["low"], batch["attention"]
    with torch.no_grad():  # at scale > 1 the student is trained through the deployed path
        deployed = scaled_enhance(trainer.generator, low, attention, scale=scale)
        assert torch.allclose(trainer.student(low, attention), deployed)


def test_cli_distills_from_images_and_clip_frames_and_exports(images, weights, tmp_path):
    clip = make_clip(tmp_path / "c.mp4", width=48, height=32, frames=6)
    out = tmp_path / "run"
    args = ["distill", "--teacher", str(weights), "--base-channels", "8", "--images", str(images), "--clips",
            str(clip), "--clip-every", "2", "--out", str(out), "--steps", "3", "--decay-steps", "1", "--batch-size",
            "2", "--crop", "32", "--workers", "0", "--device", "cpu", "--quiet"]
    assert train_main(args) == 0
    assert train_main(["export", str(out), "-o", str(tmp_path / "s.safetensors")]) == 0
    assert load_generator(tmp_path / "s.safetensors").base_channels == 8
    assert train_main(args) == 2  # the run exists: --resume or a new --out
    with pytest.raises(EnlightError, match="base channels"):
        DistillTrainer(config(images, tmp_path / "x", weights, base_channels=16, init=weights))
    with pytest.raises(EnlightError, match="scale"):
        config(images, tmp_path / "y", weights, scale=8.0)  # 32 / 8 leaves 4 pixels


def test_freeze_bn_keeps_the_statistics_and_trains_the_eval_mode_network(images, weights, tmp_path):
    trainer = DistillTrainer(config(images, tmp_path / "run", weights, scale=2.0, init=weights, freeze_bn=True))
    stats = {k: v.clone() for k, v in trainer.generator.state_dict().items() if "running" in k}
    batch = torch.utils.data.default_collate([trainer.dataset[i] for i in range(4)])
    trainer.set_train()
    trainer.train_step(batch)
    assert all(torch.equal(trainer.generator.state_dict()[k], v) for k, v in stats.items())
    assert not torch.equal(trainer.generator.conv1_1.weight, load_generator(weights).conv1_1.weight)


def test_student_of_a_hue_keeping_teacher_keeps_the_hue(images, weights, tmp_path):
    from enlight.models.weights import save_weights

    teacher = load_generator(weights)
    teacher.keep_hue, teacher.margin = True, 8
    path = save_weights(tmp_path / "t.safetensors", teacher, provenance="{}")
    trainer = DistillTrainer(config(images, tmp_path / "run", path, steps=2, decay_steps=1, checkpoint_every=2,
                                    scale=2.0))
    assert trainer.generator.keep_hue and trainer.generator.margin == 4  # the teacher's context at 1/2 size
    trainer.fit(progress=False)
    assert train_main(["export", str(tmp_path / "run"), "-o", str(tmp_path / "s.safetensors")]) == 0
    student = load_generator(tmp_path / "s.safetensors")
    assert student.keep_hue and student.margin == 4


def test_the_teacher_cache_is_remade_for_another_teacher_or_when_cut_short(images, weights, tmp_path):
    """It was taken whenever it held as many pictures as the run had: resumed with another --teacher, the run trained
    towards the first teacher's outputs; a file cut short (a stop or a full disk while it was written) was an
    internal error, BadZipFile, at every later start."""
    from enlight.ops.luma import attention_map
    from enlight.ops.pixels import to_uint8
    from tests.media import tiny_weights

    out = tmp_path / "run"
    first = DistillTrainer(config(images, out, weights, cache_teacher=True)).dataset.targets
    other = tiny_weights(tmp_path / "other.safetensors", seed=7)
    again = DistillTrainer(config(images, out, other, cache_teacher=True)).dataset.targets
    teacher = load_generator(other)
    image = torch.from_numpy(np.array(Image.open(images / "0.png"))).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        expected = to_uint8(teacher(image, attention_map(image)))[0].numpy()
    assert np.array_equal(again[0], expected) and not np.array_equal(again[0], first[0])
    cache = out / "teacher_cache.npz"
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    remade = DistillTrainer(config(images, out, other, cache_teacher=True)).dataset.targets  # was BadZipFile
    assert all(np.array_equal(a, b) for a, b in zip(remade, again, strict=True))
    assert [p.name for p in out.iterdir()] == ["teacher_cache.npz"]  # no temporary file left


def test_a_refused_out_gets_no_teacher_cache(images, weights, tmp_path, capsys):
    """`distill --cache-teacher --out FOLDER_OF_PHOTOS` was refused after the cache had been written there."""
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "mine.jpg").write_bytes(b"x")
    argv = ["distill", "--teacher", str(weights), "--images", str(images), "--out", str(photos), "--base-channels",
            "8", "--steps", "1", "--decay-steps", "0", "--crop", "32", "--device", "cpu", "--workers", "0",
            "--cache-teacher", "--quiet"]
    assert train_main(argv) == 2
    assert "is not a run folder" in capsys.readouterr().err
    assert [p.name for p in photos.iterdir()] == ["mine.jpg"]


def test_a_sound_file_among_the_clips_is_refused_in_one_line(images, weights, tmp_path, capsys):
    """`distill --clips voice.m4a` (no picture) was 'internal error: IndexError: tuple index out of range', exit 1;
    a file that is not media named FFmpeg's error number ('[Errno 1094995529] Invalid data ...')."""
    (tmp_path / "notes.mp4").write_text("not a video")
    for clip, message in ((sound_file(tmp_path / "voice.m4a"), "voice.m4a has no video stream: --clips takes videos"),
                          (tmp_path / "notes.mp4", "notes.mp4: Invalid data found when processing input")):
        argv = ["distill", "--teacher", str(weights), "--images", str(images), "--clips", str(clip), "--out",
                str(tmp_path / "run"), "--base-channels", "8", "--steps", "1", "--decay-steps", "0", "--crop", "32",
                "--device", "cpu", "--workers", "0", "--quiet"]
        assert train_main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and "Errno" not in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "run").exists()


def test_clip_frames_are_read_as_the_file_command_reads_them(images, weights, tmp_path):
    """--clips frames were frame.to_ndarray(format='rgb24'): an untagged HD clip (BT.709, as players and the file
    command take it) read as BT.601, a green (40, 120, 30) as (44, 134, 31); a phone's portrait clip stayed on its side
    (held as 1280x720, shown 720x1280). Now they are VideoSource's pictures, turned upright."""
    import av

    from enlight.stream.io.clip_stills import sampled_frames

    colour = np.array([40, 120, 30], np.uint8)
    clip = tmp_path / "phone.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.set_display_rotation(90)
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.tile(colour, (720, 1280, 1)), format="rgb24")
            frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709")  # untagged, as many cameras write
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    trainer = DistillTrainer(config(images, tmp_path / "run", weights, clips=(clip,), clip_every=2),
                             read_clip=sampled_frames)
    stills = [item for item in trainer.dataset.items if isinstance(item, np.ndarray)]
    assert [still.shape for still in stills] == [(1280, 720, 3)] * 2  # every 2nd of 3, upright
    assert np.abs(stills[0].reshape(-1, 3).mean(0) - colour).max() <= 3, stills[0].reshape(-1, 3).mean(0)
