"""Plugins that each break one rule of the contract; tests/lms/test_plugins.py registers them one at a time."""
