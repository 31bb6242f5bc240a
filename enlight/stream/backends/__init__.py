"""Inference runtimes behind one protocol; ``create_backend`` builds one from its options dataclass."""

from enlight.stream.backends.base import Backend, available_backends, create_backend

__all__ = ["Backend", "available_backends", "create_backend"]
