"""The web layer: ``create_app`` (app.py) builds the Flask app around a search service, the
JSON API is one blueprint (api.py) described by openapi.py, and serve.py runs it under
gunicorn."""
