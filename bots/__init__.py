"""The service: FastAPI app factory, settings, CLI and one module per channel."""
