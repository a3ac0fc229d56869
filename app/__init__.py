"""Playground server: FastAPI app, sessions and rooms over websockets."""
