"""A student distilled with `enlight-train distill --scale 4` (as the `fast` preset's is) records its scale in its
exported weights, and `enlight-video --weights` runs it at that size, as the bundled fast student runs.

Before, the weights recorded nothing ('base_channels', 'architecture', 'format_version', 'provenance' only), so
`--quality auto` ran the student at full size ('quality auto -> best: --weights runs at full size'), which it was not
trained for, and so did --quality best or balanced without a word. Now auto runs it at 1/4 size, a named preset of
another size is refused in one line, and its int8 model (`enlight-train quantize`) records and keeps the size too."""

import numpy as np
import pytest
from PIL import Image

from enlight.cli.train import main as train_main
from enlight.models.weights import read_metadata
from tests.media import dark_frames, make_clip
from tests.train.conftest import scaled_student_run


@pytest.fixture(scope="module")
def student(tmp_path_factory, weights):
    """A base-8 student of the tiny teacher, 2 steps distilled through the 1/4-size path, exported."""
    root = tmp_path_factory.mktemp("scaled_student")
    assert train_main(["export", str(scaled_student_run(root, weights)), "-o", str(root / "s4.safetensors")]) == 0
    return root / "s4.safetensors"


def test_the_exported_weights_record_the_scale(student, weights):
    metadata = read_metadata(student)
    assert (metadata.get("scale"), metadata.get("upsample")) == ("4", "guided")  # was (None, None)
    assert "scale" not in read_metadata(weights)  # full-size weights record none


def test_enlight_video_runs_it_at_its_scale_as_the_fast_preset_runs(student, cli, tmp_path):
    clip = make_clip(tmp_path / "in.mp4", width=96, height=64, frames=6, audio=False)
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    auto = cli(clip, "-o", tmp_path / "auto.mp4", "--weights", student, env=cache)
    assert auto.returncode == 0, auto.stderr
    assert f"quality auto -> fast: --weights {student.name} was distilled to run at 1/4 size (its metadata)" in \
        auto.stderr and "(fast: 1/4 size)" in auto.stderr, auto.stderr  # was 'quality auto -> best', full size
    named = cli(clip, "-o", tmp_path / "fast.mp4", "--weights", student, "--quality", "fast", env=cache)
    assert named.returncode == 0, named.stderr
    frames = _frames(tmp_path / "auto.mp4")
    assert frames.shape == (6, 64, 96, 3) and np.array_equal(frames, _frames(tmp_path / "fast.mp4"))


@pytest.mark.parametrize("preset", ["best", "balanced"])
def test_a_preset_of_another_size_is_refused_in_one_line(student, cli, tmp_path, preset):
    photo = tmp_path / "dark.png"
    Image.fromarray(dark_frames(1, 64, 48)[0]).save(photo)
    result = cli(photo, "-o", tmp_path / "out.png", "--weights", student, "--quality", preset)
    assert result.returncode == 2  # was 0: the student at full size
    assert result.stderr_lines == [f"enlight-video: error: {student.name} was distilled to run at 1/4 size (its "
                                   f"metadata), and --quality {preset} runs it at full size: give --quality auto (the "
                                   "default) or fast"]
    assert not (tmp_path / "out.png").exists()


def test_its_int8_model_records_the_scale_and_runs_at_it(student, cli, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnx

    images = student.parent / "images"
    model = tmp_path / "s4_int8.onnx"
    assert train_main(["quantize", "--weights", str(student), "--images", str(images), "-o", str(model),
                       "--max-side", "64"]) == 0
    metadata = {p.key: p.value for p in onnx.load(str(model)).metadata_props}
    assert (metadata["enlight.scale"], metadata["enlight.upsample"]) == ("4", "guided")
    result = cli(images / "0.png", "-o", tmp_path / "out.png", "--weights", model)
    assert result.returncode == 0, result.stderr
    assert "(onnxruntime int8 (fast: 1/4 size), " in result.stderr, result.stderr


def _frames(path):
    import av

    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])
