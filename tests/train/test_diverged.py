"""Weights that became NaN or infinite stop the run in one line with nothing of them saved, are not exported, and the
product refuses a file of them. Before, the run went on to its last step and said 'step N done', export wrote the
file, and `enlight-video photo -o out --weights FILE` wrote a black picture with one NumPy warning about a cast."""

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from enlight.cli.video import main as video_main
from enlight.errors import EnlightError
from enlight.models.generator import build_generator
from enlight.models.weights import ARCHITECTURE, load_generator, save_weights
from enlight.train.nonref import LossWeights, NonRefConfig, NonRefTrainer


def config(low, out, **changes):
    settings = dict(low=low, out=out, steps=4, decay_steps=0, crop=32, batch_size=2, validation=0, base_channels=8,
                    weights=LossWeights(vgg=0), workers=0, device="cpu", checkpoint_every=1)
    return NonRefConfig(**{**settings, **changes})


def poisoned(trainer):
    with torch.no_grad():
        next(trainer.generator.parameters())[0] = float("nan")  # what a step at too high a rate leaves


def test_a_run_whose_weights_diverge_stops_and_keeps_the_last_good_checkpoint(low_folder, tmp_path):
    out = tmp_path / "run"
    NonRefTrainer(config(low_folder, out)).fit(progress=False)  # steps 1-4, each checkpointed
    trainer = NonRefTrainer(config(low_folder, out, steps=8))
    trainer.load_checkpoint(trainer.latest_checkpoint())
    poisoned(trainer)
    with pytest.raises(EnlightError, match=r"step 5: the generator weights became NaN or infinite \(loss .*nan.*\); "
                       r"nothing of them is saved and the newest checkpoint, step_0000004.pt, is kept"):
        trainer.fit(progress=False)
    assert sorted(p.name for p in (out / "checkpoints").iterdir())[-1] == "step_0000004.pt"
    fresh = NonRefTrainer(config(low_folder, tmp_path / "fresh"))
    poisoned(fresh)
    with pytest.raises(EnlightError, match="step 1: .* no checkpoint was saved: start again with a lower --lr"):
        fresh.fit(progress=False)
    assert not (tmp_path / "fresh" / "checkpoints").exists()


def test_a_checkpoint_is_never_written_with_them(low_folder, tmp_path):
    trainer = NonRefTrainer(config(low_folder, tmp_path / "run"))
    poisoned(trainer)
    with pytest.raises(EnlightError, match="step 0: the generator weights became NaN"):
        trainer.save_checkpoint()  # as Ctrl-C's handler does
    assert not list(tmp_path.rglob("*.pt")) and not list(tmp_path.rglob("*.tmp"))


def test_export_and_the_product_refuse_them(tmp_path, capsys):
    generator = build_generator(base_channels=8)
    with pytest.raises(EnlightError, match="not written: the network has .* NaN or infinite values"):
        with torch.no_grad():
            generator.conv1_1.weight[0] = float("inf")
        save_weights(tmp_path / "w.safetensors", generator, provenance="test")
    assert list(tmp_path.iterdir()) == []
    tensors = {k: v.contiguous() for k, v in generator.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_file(tensors, str(tmp_path / "nan.safetensors"),  # such a file, as the exporter wrote one before
              metadata={"architecture": ARCHITECTURE, "base_channels": "8", "format_version": "1"})
    bad = generator.conv1_1.weight[0].numel()
    with pytest.raises(EnlightError, match=f"holds {bad} NaN or infinite values among its .* weights"):
        load_generator(tmp_path / "nan.safetensors")
    photo = tmp_path / "dark.png"
    Image.fromarray((np.random.default_rng(0).random((32, 48, 3)) * 40).astype(np.uint8)).save(photo)
    capsys.readouterr()
    code = video_main([str(photo), "-o", str(tmp_path / "out.png"), "--weights", str(tmp_path / "nan.safetensors")])
    err = capsys.readouterr().err
    assert code == 2 and "would make every picture black" in err and err.count("\n") == 1, err
    assert not (tmp_path / "out.png").exists()  # was written black, rc 0
