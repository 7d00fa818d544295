"""Admin screens over the other rooms' services; owns no models."""
