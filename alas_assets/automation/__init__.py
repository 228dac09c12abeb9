"""Automation: the nightly refresh, the feed and loop sensors, data-quality checks and progress in the UI."""
