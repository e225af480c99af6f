"""CLI."""


def export_contacts():
    pass


def export_tasks():
    pass
