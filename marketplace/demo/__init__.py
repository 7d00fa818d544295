"""Demo data: `flask demo seed` (idempotent) fills an empty site with realistic accounts and work."""
