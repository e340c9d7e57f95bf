"""op_db entries for the linalg ops (see op_db.py for the framework)."""
from __future__ import annotations

OPS: list = []
