"""Models, tools and the agent loop behind the staff assistant and the customer auto-responder."""

# Registers the `ai.auto_reply` job handler wherever the ai package is loaded (the app and,
# through it, its in-process worker).
from switchboard.ai import autoresponder as autoresponder
