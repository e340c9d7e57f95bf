"""Tensor methods of the op library, one mixin per category (Tensor inherits them all)."""
