"""JSON API under /api/v1 over the rooms' services."""
