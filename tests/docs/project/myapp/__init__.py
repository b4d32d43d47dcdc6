"""The application the docs call ``myapp``: copied into each document's scratch folder."""
