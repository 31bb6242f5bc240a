"""Media in and out: decode (PyAV) to RGB frames and back, locations (files, URLs, pipes), live
sources, recordings, and the checks on names done before any work. Knows nothing of the model."""
