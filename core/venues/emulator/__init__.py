"""Loopback emulators of real venues (REST and WebSocket), for end-to-end adapter tests."""
