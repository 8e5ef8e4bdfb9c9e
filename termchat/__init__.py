"""termchat: a terminal chat client for OpenAI's Responses and Conversations APIs."""

__version__ = "0.1.0"
