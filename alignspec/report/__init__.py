"""Renderers of Reports for people (text) and machines (JSON)."""
