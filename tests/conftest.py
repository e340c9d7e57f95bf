"""Shared test helpers: the PyTorch reference import that only CI treats as mandatory."""

from __future__ import annotations

import os

import pytest


def require_torch():
    """Import torch, skipping the calling module when it is missing (failing instead under CI)."""
    if os.environ.get("CI") == "true":
        import torch

        return torch
    return pytest.importorskip("torch")
