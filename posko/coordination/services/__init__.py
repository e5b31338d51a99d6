"""Coordination writes, one file per capability: tasks, meetings, checklists, templates."""
