"""Image and video quality measures, used by training, benchmarks and docs (never by ``stream``)."""
