import pytest
import torch

from enlight.models import attention_map, build_generator, load_generator, save_weights
from enlight.models.bundled import WeightsError
from enlight.models.weights import read_metadata, zero_denormals


def released_format_checkpoint(generator, path):
    """What the release's torch.save(net.state_dict()) of a DataParallel model looks like."""
    state = {f"module.{k}": v for k, v in generator.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, path)
    return path


def forward(generator, x):
    with torch.no_grad():
        return generator.eval()(x, attention_map(x))


@pytest.fixture
def trained_like():
    torch.manual_seed(3)
    g = build_generator(base_channels=8)
    with torch.no_grad():
        for name, buf in g.named_buffers():
            if name.endswith("running_mean"):
                buf.normal_(0, 0.2)
    return g.eval()


def test_safetensors_round_trip_with_metadata(tmp_path, trained_like):
    path = save_weights(tmp_path / "g.safetensors", trained_like, provenance="unit test")
    meta = read_metadata(path)
    assert meta["architecture"] == "enlightengan-generator"
    assert meta["base_channels"] == "8" and meta["provenance"] == "unit test"
    loaded = load_generator(path)
    x = torch.rand(1, 3, 20, 30) * 2 - 1
    torch.testing.assert_close(forward(loaded, x), forward(trained_like, x), rtol=0, atol=0)


def test_released_pth_loads_and_matches_safetensors(tmp_path, trained_like, cli):
    pth = released_format_checkpoint(trained_like, tmp_path / "200_net_G_A.pth")
    raw = torch.load(pth, weights_only=True)
    assert all(k.startswith("module.") for k in raw) and not any("num_batches_tracked" in k for k in raw)
    ours = tmp_path / "g.safetensors"
    result = cli("convert-weights", pth, ours)
    assert result.returncode == 0, result.stderr
    x = torch.rand(2, 3, 33, 47) * 2 - 1
    from_pth, from_ours = forward(load_generator(pth), x), forward(load_generator(ours), x)
    torch.testing.assert_close(from_pth, from_ours, rtol=0, atol=0)
    torch.testing.assert_close(from_pth, forward(trained_like, x), rtol=0, atol=0)
    assert cli("convert-weights", pth, ours).returncode == 2  # exists, no --force


def test_fp16_weights_load_as_float32(tmp_path, trained_like):
    path = save_weights(tmp_path / "half.safetensors", trained_like, provenance="t", dtype=torch.float16)
    loaded = load_generator(path)
    assert loaded.conv1_1.weight.dtype == torch.float32
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(forward(loaded, x), forward(trained_like, x), atol=2e-2, rtol=0)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda sd: sd.pop("conv10.bias"), "missing conv10.bias"),
        (lambda sd: sd.__setitem__("extra.weight", torch.zeros(1)), "unexpected extra.weight"),
        (lambda sd: sd.__setitem__("conv10.bias", torch.zeros(4)), "shape conv10.bias"),
    ],
)
def test_mismatched_checkpoint_is_a_clear_error(tmp_path, trained_like, damage, message):
    state = {f"module.{k}": v for k, v in trained_like.state_dict().items()}
    state = {k.removeprefix("module."): v for k, v in state.items()}
    damage(state)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(WeightsError, match=message):
        load_generator(tmp_path / "bad.pth")


def test_corrupt_files_are_clear_errors(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        load_generator(junk)
    pth = tmp_path / "junk.pth"
    pth.write_bytes(b"not a pickle")
    with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint"):
        load_generator(pth)
    with pytest.raises(WeightsError, match="not found"):
        load_generator(tmp_path / "absent.safetensors")


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must never run",))

    path = tmp_path / "evil.pth"
    torch.save({"conv1_1.weight": Evil()}, path)
    with pytest.raises(WeightsError, match="not a readable PyTorch checkpoint"):
        load_generator(path)


def test_other_architecture_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"architecture": "retinexnet"})
    with pytest.raises(WeightsError, match="retinexnet"):
        load_generator(path)


def test_denormals_are_zeroed_on_save(tmp_path, trained_like):
    tiny = torch.finfo(torch.float32).tiny
    with torch.no_grad():
        trained_like.conv1_1.weight[0, 0, 0, 0] = tiny / 4
    loaded = load_generator(save_weights(tmp_path / "d.safetensors", trained_like, provenance="t"))
    assert loaded.conv1_1.weight[0, 0, 0, 0] == 0
    assert zero_denormals({"a": torch.tensor([tiny / 2, 1.0])})["a"].tolist() == [0.0, 1.0]


def test_missing_default_weights_say_so(monkeypatch, tmp_path):
    from enlight.models import bundled

    monkeypatch.setattr(bundled, "DEFAULT_WEIGHTS", tmp_path / "absent.safetensors")
    with pytest.raises(WeightsError, match="no default weights"):
        bundled.default_weights()


def test_a_file_that_is_not_a_checkpoint_says_what_it_is(tmp_path, trained_like, cli):
    """Each said 'not a readable PyTorch checkpoint (Weights only load failed. In PyTorch 2.6, we changed the
    default value of ...' (torch's note on its own default, cut off), whatever the file held."""
    pth = released_format_checkpoint(trained_like, tmp_path / "200_net_G_A.pth")
    (tmp_path / "notes.pth").write_bytes(b"not a checkpoint")
    (tmp_path / "cut.pth").write_bytes(pth.read_bytes()[:300])
    for name, why in (("notes.pth", "neither a zip archive nor a pickle"), ("cut.pth", "a damaged or cut-short zip")):
        result = cli("convert-weights", tmp_path / name, tmp_path / "g.safetensors")
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert f"{name} is not a readable PyTorch checkpoint ({why}" in result.stderr, result.stderr
        assert "weights_only" not in result.stderr and not (tmp_path / "g.safetensors").exists()


def test_a_checkpoint_holding_python_objects_is_not_called_damaged(tmp_path, trained_like, cli):
    """A whole checkpoint in PyTorch's own (zip) format with its training options beside the tensors, or a whole
    pickled model, was refused as 'a damaged or cut-short zip archive', though whole: it now says what it holds."""
    import argparse

    torch.save({"state_dict": trained_like.state_dict(), "opt": argparse.Namespace(lr=1e-4)}, tmp_path / "opt.pth")
    torch.save(trained_like, tmp_path / "model.pth")
    for name, held in (("opt.pth", "argparse.Namespace"), ("model.pth", "EnlightenGANGenerator")):
        result = cli("convert-weights", tmp_path / name, tmp_path / "g.safetensors")
        assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
        assert "damaged" not in result.stderr and "holds Python objects besides tensors (" in result.stderr
        assert held in result.stderr and "torch.save(model.state_dict(), F)" in result.stderr, result.stderr
        assert not (tmp_path / "g.safetensors").exists()


def test_a_training_checkpoint_or_run_folder_says_to_export_it(tmp_path, cli):
    """`--weights RUN/checkpoints/step_N.pt` said 'does not hold a state dict of tensors' and `--weights RUN` 'weights
    file not found', though both were there: each now names `enlight-train export`."""
    from enlight.train.loop import CHECKPOINT_VERSION

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    checkpoint = run / "checkpoints" / "step_0000002.pt"
    torch.save({"version": CHECKPOINT_VERSION, "kind": "enlightengan", "step": 2, "config": "{}",
                "generator": build_generator(base_channels=8).state_dict()}, checkpoint)
    for source, message in ((checkpoint, "is an enlight-train checkpoint, not weights: `enlight-train export RUN_DIR"),
                            (run, "is a folder, not a weights file (an enlight-train run folder: `enlight-train "
                             "export` writes")):
        result = cli("convert-weights", source, tmp_path / "g.safetensors")
        assert result.returncode == 2 and len(result.stderr_lines) == 1 and message in result.stderr, result.stderr
        assert not (tmp_path / "g.safetensors").exists()


def test_the_package_names_load_from_where_they_live():
    """``enlight.models``' lazy names: default_weights moved to the torch-free ``bundled`` and the package still sent
    it to ``weights`` ('cannot import name default_weights from enlight.models')."""
    import enlight.models as package

    for name in package.__all__:
        assert getattr(package, name) is not None, name


@pytest.mark.parametrize("margin", ["-4", "four"])
def test_a_margin_that_is_not_a_count_of_pixels_is_one_line(tmp_path, trained_like, cli, margin):
    """A hand-edited margin of -4 in the weights' metadata was 'internal error: ValueError: margin must be >= 0'."""
    from safetensors.torch import load_file, save_file

    path = save_weights(tmp_path / "g.safetensors", trained_like, provenance="unit test")
    save_file(load_file(str(path)), str(path), metadata={**read_metadata(path), "margin": margin})
    with pytest.raises(WeightsError, match=f"invalid margin '{margin}'"):
        load_generator(path)
    photo = tmp_path / "dark.png"
    from PIL import Image

    Image.new("RGB", (32, 24), (20, 15, 10)).save(photo)
    result = cli(photo, "-o", tmp_path / "out.png", "--weights", path)
    assert result.returncode == 2 and len(result.stderr_lines) == 1, result.stderr
    assert "invalid margin" in result.stderr and "internal error" not in result.stderr
