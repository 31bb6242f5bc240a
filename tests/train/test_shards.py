"""Sharded run state (enlight/train/shards.py): real training steps on tiny images, no mocks.

shard -> unshard -> resume continues the same run; shard sizes; corrupted or missing shards; the
time box of ``enlight-train --max-minutes``; a ``.safetensors`` file (the VGG that travels to a GPU).
"""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from enlight.cli.train import main
from enlight.models.vgg import Vgg16Relu51
from enlight.train.loop import newest_checkpoint
from enlight.train.shards import MIB, ShardPolicy, decode, encode, read_shards, write_shards
from enlight.train.trainer import TrainConfig, Trainer


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """6 dark and 4 bright noise images, 44x40."""
    root = tmp_path_factory.mktemp("data")
    noise = np.random.default_rng(3).random((10, 40, 44, 3))
    for i, image in enumerate(noise):
        kind, scale = ("low", 50) if i < 6 else ("normal", 220)
        (root / kind).mkdir(exist_ok=True)
        Image.fromarray((image * scale).astype(np.uint8)).save(root / kind / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(5)
    return Vgg16Relu51()


def tiny(folders, out, **changes):
    base = dict(low=folders / "low", normal=folders / "normal", out=out, epochs=1, decay_epochs=1, batch_size=2,
                crop=32, extra_patches=1, base_channels=8, d_channels=8, device="cpu", workers=0, checkpoint_every=100,
                sample_every=100, log_every=1, keep_checkpoints=2)
    base.update(changes)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def whole(folders, vgg, tmp_path_factory):
    """An uninterrupted run of 4 steps (log every step)."""
    return trained(folders, vgg, tmp_path_factory.mktemp("whole") / "run", 4)


@pytest.fixture(scope="module")
def first(folders, vgg, tmp_path_factory):
    """The same run stopped after 2 steps (tests read it, never write to it)."""
    return trained(folders, vgg, tmp_path_factory.mktemp("first") / "run", 2)


def trained(folders, vgg, out, steps, *, resume=False):
    trainer = Trainer(tiny(folders, out, max_steps=steps), vgg=vgg)
    trainer.fit(resume=resume, progress=False)
    return trainer


def losses(run):
    return [json.loads(line) for line in (run / "losses.jsonl").read_text().splitlines()]


def test_codecs_round_trip_within_their_precision():
    x = torch.randn(3, 700) * torch.logspace(-3, 1, 3)[:, None]
    assert torch.equal(decode(encode(x, "fp32"), "fp32", x.dtype, list(x.shape)), x)
    assert torch.equal(decode(encode(x, "bf16"), "bf16", x.dtype, list(x.shape)), x.bfloat16().float())
    back = decode(encode(x, "int8"), "int8", x.dtype, list(x.shape))
    blocks = torch.nn.functional.pad(x.reshape(-1), (0, -x.numel() % 128)).view(-1, 128)
    bound = (blocks.abs().amax(1, keepdim=True) / 254).expand(-1, 128).reshape(-1)[: x.numel()].view_as(x)
    assert ((back - x).abs() <= bound * 1.0001 + 1e-12).all()
    assert len(encode(x, "int8")) == x.numel() + 4 * 17  # 1 byte each, one float scale per 128
    raw = torch.arange(10, dtype=torch.int64)
    assert torch.equal(decode(encode(raw, "raw"), "raw", raw.dtype, [10]), raw)


def test_exact_shards_resume_the_same_run(folders, vgg, whole, first, tmp_path):
    write_shards(first.config.out, tmp_path / "shards", ShardPolicy(weights="fp32", moments="fp32"))
    read_shards(tmp_path / "shards", tmp_path / "second")
    assert (tmp_path / "second" / "losses.jsonl").read_text() == (first.config.out / "losses.jsonl").read_text()
    second = trained(folders, vgg, tmp_path / "second", 4, resume=True)
    assert second.step == whole.step == 4 and second.lr == whole.lr
    assert second.schedulers[2].last_epoch == whole.schedulers[2].last_epoch == 4
    for name in ("generator", "d_global", "d_local"):
        torch.testing.assert_close(second.nets[name].state_dict(), whole.nets[name].state_dict(), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(second.opt_dg.state_dict()["state"], whole.opt_dg.state_dict()["state"],
                               atol=1e-6, rtol=1e-4)
    assert [r["step"] for r in losses(tmp_path / "second")] == [1, 2, 3, 4]  # the history continues


def test_compact_shards_keep_the_schedule_and_bound_the_sizes(folders, vgg, whole, first, tmp_path):
    policy = ShardPolicy(weights="int8", moments="reset", max_bytes=MIB // 2)
    manifest = json.loads(write_shards(first.config.out, tmp_path / "shards", policy).read_text())
    shards = sorted((tmp_path / "shards").glob("shard_*.bin"))
    assert len(shards) == len(manifest["shards"]) >= 2
    assert all(p.stat().st_size <= MIB // 2 for p in shards)
    params = sum(p.numel() for net in first.nets.values() for p in net.parameters())
    assert sum(p.stat().st_size for p in shards) < 1.1 * params  # about a byte per weight, no moments
    assert manifest["step"] == 2 and manifest["config"]["base_channels"] == 8 and manifest["resumable"]

    state = torch.load(read_shards(tmp_path / "shards", tmp_path / "second"), weights_only=True)
    assert state["opt_g"]["state"] == {} and state["opt_g"]["param_groups"] == first.opt_g.state_dict()["param_groups"]
    for name, net in first.nets.items():
        for key, value in net.state_dict().items():
            bound = value.abs().max() / 254 * 1.0001 if value.is_floating_point() else 0
            assert (state[name][key] - value).abs().max() <= bound, f"{name}.{key}"
    assert torch.equal(state["rng"]["torch"], torch.load(first.latest_checkpoint(), weights_only=True)["rng"]["torch"])

    second = trained(folders, vgg, tmp_path / "second", 3, resume=True)
    assert second.step == 3 and second.schedulers[1].last_epoch == 3
    assert [r["lr"] for r in losses(tmp_path / "second")] == [r["lr"] for r in losses(whole.config.out)][:3]
    resumed = losses(tmp_path / "second")[-1]
    assert resumed["step"] == 3 and all(np.isfinite(v) for v in resumed.values())


def test_generator_only_shards_export(first, tmp_path):
    from enlight.models import load_generator

    write_shards(first.config.out, tmp_path / "g", ShardPolicy(weights="fp16", nets=("generator",)))
    assert not json.loads((tmp_path / "g" / "manifest.json").read_text())["resumable"]
    read_shards(tmp_path / "g", tmp_path / "export_run")
    assert set(newest_checkpoint(tmp_path / "export_run")) & {"d_global", "opt_g"} == set()
    assert main(["export", str(tmp_path / "export_run"), "-o", str(tmp_path / "g.safetensors")]) == 0
    exported = load_generator(tmp_path / "g.safetensors").state_dict()
    for key, value in first.generator.state_dict().items():
        if value.is_floating_point():
                assert torch.equal(exported[key].to(value.dtype), value.half().to(value.dtype)), key


def test_generator_only_shards_do_not_resume_and_say_why(folders, vgg, first, tmp_path):
    """Unsharded into a run folder and resumed, they were an internal error (KeyError: 'd_global')."""
    from enlight.errors import EnlightError

    write_shards(first.config.out, tmp_path / "g", ShardPolicy(nets=("generator",)))
    read_shards(tmp_path / "g", tmp_path / "run")
    with pytest.raises(EnlightError, match="holds the networks alone .* not the optimisers' state a run continues "
                       "from: export it"):
        trained(folders, vgg, tmp_path / "run", 4, resume=True)


def test_unshard_into_an_output_of_the_other_kind_is_refused(first, vgg, tmp_path, capsys):
    """A run's state unsharded to -o W.safetensors became a folder of that name (W.safetensors/checkpoints/...), and
    a .safetensors file's shards to -o NAME a file without the suffix."""
    assert main(["shard", str(first.config.out), "-o", str(tmp_path / "state")]) == 0
    source = tmp_path / "vgg.safetensors"
    save_file({k: v.contiguous() for k, v in vgg.state_dict().items()}, str(source))
    assert main(["shard", str(source), "-o", str(tmp_path / "tensors")]) == 0
    capsys.readouterr()
    assert main(["unshard", str(tmp_path / "state"), "-o", str(tmp_path / "w.safetensors")]) == 2
    assert "holds a run's checkpoint (step 2), not weights: give -o a run folder" in capsys.readouterr().err
    assert main(["unshard", str(tmp_path / "tensors"), "-o", str(tmp_path / "back")]) == 2
    assert "holds the tensors of vgg.safetensors: give -o a .safetensors file" in capsys.readouterr().err
    assert not (tmp_path / "w.safetensors").exists() and not (tmp_path / "back").exists()


def test_broken_shards_are_one_line_errors(first, tmp_path, capsys):
    folder = tmp_path / "shards"
    assert main(["shard", str(first.config.out), "-o", str(folder), "--max-mib", "1", "--weights", "int8"]) == 0
    shard = sorted(folder.glob("shard_*.bin"))[1]
    data = bytearray(shard.read_bytes())
    data[100] ^= 1
    shard.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["unshard", str(folder), "-o", str(tmp_path / "back")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shard_001.bin is corrupted" in err
    shard.unlink()
    assert main(["unshard", str(folder), "-o", str(tmp_path / "back")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shard_001.bin is missing" in err
    assert main(["unshard", str(first.config.out), "-o", str(tmp_path / "back")]) == 2
    assert "not a shard folder" in capsys.readouterr().err
    assert not (tmp_path / "back" / "checkpoints").exists() or not any((tmp_path / "back" / "checkpoints").iterdir())


def test_time_box_stops_checkpoints_and_resumes_via_int8_vgg(folders, vgg, tmp_path, capsys):
    source = tmp_path / "vgg.safetensors"
    save_file({k: v.contiguous() for k, v in vgg.state_dict().items()}, str(source), metadata={"input_style": "caffe"})
    assert main(["shard", str(source), "-o", str(tmp_path / "vgg"), "--weights", "int8", "--max-mib", "4"]) == 0
    assert len(list((tmp_path / "vgg").glob("shard_*.bin"))) == 3  # 10.0 M weights in int8: 9.6 MiB
    assert main(["unshard", str(tmp_path / "vgg"), "-o", str(tmp_path / "vgg_back.safetensors")]) == 0
    back = load_file(str(tmp_path / "vgg_back.safetensors"))
    for key, value in vgg.state_dict().items():
        assert (back[key] - value).abs().max() <= value.abs().max() / 254 * 1.0001, key

    run = tmp_path / "run"
    args = ["--low", str(folders / "low"), "--normal", str(folders / "normal"), "--out", str(run), "--epochs", "1",
            "--decay-epochs", "1", "--batch-size", "2", "--crop", "32", "--base-channels", "8", "--d-channels", "8",
            "--device", "cpu",
            "--workers", "0", "--vgg", str(tmp_path / "vgg_back.safetensors"), "--quiet", "--max-minutes", "1e-4"]
    capsys.readouterr()
    assert main(args) == 0
    assert "time box of 0.0001 min reached at step 1 of 6" in capsys.readouterr().err
    assert [p.name for p in (run / "checkpoints").glob("*.pt")] == ["step_0000001.pt"]
    assert main([*args, "--resume"]) == 0
    assert newest_checkpoint(run)["step"] == 2


@pytest.mark.slow
def test_chunk_script_continues_from_its_own_shards(vgg, folders, tmp_path):
    """benchmarks/gpu_paper_chunk.sh on the CPU (TINY=1), twice, the second on a fresh run folder."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    inputs = tmp_path / "inputs"
    for kind in ("low", "normal"):
        shutil.copytree(folders / kind, inputs / kind)
    save_file({k: v.contiguous() for k, v in vgg.state_dict().items()}, str(tmp_path / "vgg.safetensors"))
    write_shards(tmp_path / "vgg.safetensors", inputs / "vgg", ShardPolicy(weights="int8"))
    env = {**os.environ, "TINY": "1", "MINUTES": "0.01", "INPUTS": str(inputs), "STATE": str(tmp_path / "state"),
           "RUN": str(tmp_path / "machine1" / "run"), "PYTHON": sys.executable}

    def chunk(*args, **changes):
        return subprocess.run(["bash", str(repo / "benchmarks" / "gpu_paper_chunk.sh"), *args],
                              env={**env, **changes}, capture_output=True, text=True, timeout=600)

    assert chunk("stage").returncode == 0
    first = chunk(str(tmp_path / "out1"))
    assert first.returncode == 0, first.stderr
    shutil.copytree(tmp_path / "out1" / "state", tmp_path / "state")
    second = chunk(str(tmp_path / "out2"), RUN=str(tmp_path / "machine2" / "run"))
    assert second.returncode == 0 and "resuming" in second.stderr, second.stderr
    steps = [json.loads((tmp_path / out / "state" / "manifest.json").read_text())["step"] for out in ("out1", "out2")]
    assert 1 <= steps[0] < steps[1]
    back = [p for p in (tmp_path / "out2").rglob("*") if p.is_file()]
    assert len(back) <= 8 and all(p.stat().st_size <= 16 * MIB for p in back)
    other = chunk(str(tmp_path / "out3"), BATCH="3")
    assert other.returncode == 2 and "trained with other settings" in other.stderr
    assert chunk(str(tmp_path / "out4"), INPUTS=str(tmp_path / "nothing")).returncode == 2
