"""The names and defaults a user chooses among, importable without torch.

The command line checks its arguments against these before anything heavy is imported, so a
mistyped option is answered at once. The modules that implement each choice (the model zoo,
the backend registry, the presets, the smoother) are checked against these tuples by tests.
"""

MODELS = ("enlightengan", "retinexnet")
BACKENDS = ("auto", "onnxruntime", "tensorrt", "torch")
QUALITIES = ("best", "balanced", "fast")  # the presets (enlight.stream.core.presets)
QUALITY = "auto"  # the default: the best preset that keeps near AUTO_SPEED (enlight.stream.core.auto_quality)
AUTO_SPEED = 0.5  # --quality auto's target on a CPU: half the video's frame rate (a 1-minute clip in about 2)
GREY_MODES = ("auto", "on", "off")
PRECISIONS = ("auto", "fp32", "fp16")
SMOOTHING_STRENGTH = 0.8  # the default weight of the past (docs/quality.md has the sweep)
MAX_SMOOTHING = 0.95  # the strongest smoothing anywhere (CLI, configs, live hotkeys): ~39 frames of memory
SMOOTH_TARGETS = ("correction", "attention", "both")
SMOOTH_TARGET = "correction"  # the default (docs/quality.md compares the three)
DENOISE_LEVELS = ("off", "light", "strong")
# the command line's default: light (enlight.stream.core.plan.auto_denoise; for the fast preset on a CPU
# without its costly refinements: plan.denoise_config; docs/quality.md, "Denoising")
DENOISE_LEVEL = "auto"
DEBAND_SETTINGS = ("on", "off")
# the command line's default: on, for video and photos alike (docs/quality.md, "Codec blocks in the dark" and
# "Codec blocks in photos"; a photo's: enlight.stream.apps.photo_prepare.deband_photo)
DEBAND_SETTING = "on"
LIVE_EXPOSURE = 100.0  # the level the live window's "e" key turns on when --exposure gave none

HOTKEYS = (  # the live preview window's keys (enlight.stream.apps.preview), listed by --help
    ("s", "split view: original | enhanced"),
    ("+ / -", "more / less temporal smoothing"),
    ("e", "exposure floor on / off (--exposure's level, 100 if none was given)"),
    ("space", "pause"),
    ("r", "start / stop recording"),
    ("q / Esc", "quit"),
)
