"""The Slack adapter: Bolt listeners, a digest publisher and the Socket Mode / HTTP runner."""
