"""Shared kernel: time, money, errors, permissions, audit log, notices, taxonomy."""
