"""Live services on LiveKit: sessions, access tokens, rooms, webhooks and their events."""
