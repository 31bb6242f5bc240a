"""Image operations shared by inference and training (torch only): luma and the attention map,
the guided filter, reduced-size inference of a model. Imports nothing else of ``enlight``."""
