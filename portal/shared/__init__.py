"""Plumbing every portal app shares: errors, HTTP helpers. It holds no rules and no models."""
