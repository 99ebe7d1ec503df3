"""End-to-end tests against the loopback Discord emulator (tests/emulator)."""
