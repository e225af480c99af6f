"""The one intake: the pure planner, the shell for a capture (a batch of one) and the bulk writer for imports."""
