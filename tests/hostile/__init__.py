"""Makers of hostile inputs for tests/test_hostile.py."""
