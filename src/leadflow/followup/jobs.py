"""Follow-up's worker handlers and schedules."""

HANDLERS: dict = {}
SCHEDULES: list = []
