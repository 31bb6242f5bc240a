"""Inference backends behind one protocol; ``create_backend`` picks one by name."""

from enlight.stream.backends.base import Backend, available_backends, create_backend, resolve_device

__all__ = ["Backend", "available_backends", "create_backend", "resolve_device"]
