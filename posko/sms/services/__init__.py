"""Writes of the sms module: intake (log, read, hand over, reply) and the outbound reply."""
