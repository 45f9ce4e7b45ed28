"""Mixpanel dlt sources."""
