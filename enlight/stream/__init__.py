"""The video pipeline: decode (PyAV) -> RGB -> batch -> attention -> backend -> smoothing -> encode.

``enlight.stream.pipeline.run`` wires the stages; ``enlight.stream.cli`` is ``enlight-video``.
This package never imports ``enlight.train``.
"""
