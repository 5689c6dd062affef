"""The LiveKit voice agent that answers questions about the library."""
