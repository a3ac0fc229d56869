"""Classroom mode: rooms where students follow an instructor's live run, fork it, get pushes."""
