"""Errors raised by the embeddings library."""

from __future__ import annotations


class EmbeddingsError(Exception):
    """Base class of every error raised by :mod:`embeddings`."""


class ModelError(EmbeddingsError):
    """The embedding model is missing, corrupt, or cannot be prepared.

    The message names the offending file and says how to repair it.
    """
