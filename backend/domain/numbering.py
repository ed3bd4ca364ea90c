"""Ticket numbers as patients read them: the service prefix and a zero-padded daily number."""


def display_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:03d}"
