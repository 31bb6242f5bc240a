"""`enlight-train export RUN/checkpoints/step_N.pt` writes that step's network: a step other than the newest (its
samples looked best) can be taken as weights. It said 'no checkpoint in RUN/checkpoints/step_N.pt/checkpoints', and
`enlight-video --weights step_N.pt` said to export the run's newest, so an earlier step could not be had without
deleting the newer checkpoints."""

import json

import pytest
from PIL import Image
from safetensors.torch import load_file

from enlight.cli.train import main as train_main
from enlight.models.weights import read_metadata
from tests.media import dark_frames
from tests.train.conftest import scaled_student_run


@pytest.fixture(scope="module")
def run(tmp_path_factory, weights):
    """A 1/4-size student's run folder with a checkpoint at each of its 2 steps."""
    return scaled_student_run(tmp_path_factory.mktemp("two_steps"), weights, "--checkpoint-every", "1")


def test_a_checkpoint_file_exports_its_own_step(run, tmp_path, cli):
    first = run / "checkpoints" / "step_0000001.pt"
    assert train_main(["export", str(first), "-o", str(tmp_path / "s1.safetensors")]) == 0
    assert train_main(["export", str(run), "-o", str(tmp_path / "s2.safetensors")]) == 0
    one, two = read_metadata(tmp_path / "s1.safetensors"), read_metadata(tmp_path / "s2.safetensors")
    assert (json.loads(one["provenance"])["step"], json.loads(two["provenance"])["step"]) == (1, 2)
    assert (one["scale"], one["upsample"]) == ("4", "guided")  # the run's settings, as the newest's
    tensors_one, tensors_two = load_file(tmp_path / "s1.safetensors"), load_file(tmp_path / "s2.safetensors")
    assert any(not tensors_one[k].equal(tensors_two[k]) for k in tensors_one)
    frame = tmp_path / "night.png"
    Image.fromarray(dark_frames(1, 64, 48)[0]).save(frame)
    result = cli(frame, "-o", tmp_path / "day.png", "--weights", tmp_path / "s1.safetensors")
    assert result.returncode == 0 and "distilled to run at 1/4 size" in result.stderr, result.stderr


def test_weights_given_a_checkpoint_name_the_command_for_that_step(run, tmp_path, cli, capsys):
    first = run / "checkpoints" / "step_0000001.pt"
    Image.fromarray(dark_frames(1, 64, 48)[0]).save(tmp_path / "x.png")
    result = cli(tmp_path / "x.png", "-o", tmp_path / "y.png", "--weights", first)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert f"`enlight-train export {first} -o W.safetensors` this one" in result.stderr
    (tmp_path / "notes.pt").write_text("not a checkpoint")
    assert train_main(["export", str(tmp_path / "notes.pt"), "-o", str(tmp_path / "w.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "cannot read checkpoint" in err and "neither a zip archive nor a pickle" in err, err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "w.safetensors").exists()
