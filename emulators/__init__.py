"""Loopback emulators of real venues (REST and WebSocket on 127.0.0.1, replaying a capture): test
doubles for the adapters, and `aleph emulator VENUE` for people trying the platform without keys.
They import core; core never imports them. ``registry.EMULATORS`` names them by venue."""
