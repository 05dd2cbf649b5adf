"""Makers of hostile inputs for tests/hostile/test_hostile.py."""
