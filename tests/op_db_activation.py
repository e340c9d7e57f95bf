"""op_db entries for the activation ops (see op_db.py for the framework)."""
from __future__ import annotations

OPS: list = []
