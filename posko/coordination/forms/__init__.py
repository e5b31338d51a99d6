"""Coordination forms, one file per capability: tasks, desk, meetings, checklists."""
