"""Coordination pages, one file per capability: tasks, desk, meetings, checklists, notifications."""
