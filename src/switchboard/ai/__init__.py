"""Models, tools and the agent loop behind the staff assistant and the customer auto-responder."""
