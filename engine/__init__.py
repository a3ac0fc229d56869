"""Playground engine: a pure NumPy library that trains small MLPs on 2-D data."""
