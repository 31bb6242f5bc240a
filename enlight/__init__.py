"""enlight-video: low-light video enhancement with EnlightenGAN.

Subpackages: ``enlight.models`` (networks and weights), ``enlight.stream`` (video
pipeline and command line), ``enlight.train`` (training stage).
"""

__version__ = "0.1.0"
