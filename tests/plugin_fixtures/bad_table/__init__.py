"""Breaks one plugin rule on purpose (see plugin.py)."""
