"""The video product, in layers whose imports point one way (docs/architecture.md)::

    apps (pipeline, live mode, bench)  ->  core (plan, Enhancer stages, smoothing)  ->  backends  ->  models
       \\-> io (decode, encode, locations, live sources)

``enlight.stream.apps.pipeline.run`` is the file run; ``enlight.cli.video`` is ``enlight-video``.
This package never imports ``enlight.train``.
"""
