"""Integrations with web frameworks: Django (``tasklib.contrib.django``) and FastAPI/Starlette."""
