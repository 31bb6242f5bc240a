"""numpy/OpenCV forms of the stages around the model, for CPU frames: importable without torch
(the torch forms in enlight.stream.core run on CUDA)."""
