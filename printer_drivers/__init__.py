"""Ticket and receipt printing for ESC/POS thermal printers (see README.md in this folder).

Importing the package has no side effects; nothing talks to a printer until a TicketPrinter method
is called.
"""
