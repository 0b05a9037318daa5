"""Test helper: root-user state for moto accounts (lives in the package for the demo)."""

from __future__ import annotations

from rootguard._moto_seed import DEFAULT_ACCOUNT_ID, RootKey, RootState, moto_root

__all__ = ["DEFAULT_ACCOUNT_ID", "RootKey", "RootState", "moto_root"]
