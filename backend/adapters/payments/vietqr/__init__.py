"""VietQR (NAPAS 247 bank transfer): the EMVCo payload, the bank BIN directory, and the bank
webhook that tells us the money arrived.

The webhook lives here, not in a separate bank package: for us a bank transfer notification is
only ever the confirmation of a VietQR payment (invoices settled by it are recorded with provider
"vietqr"). A second method confirmed by the same webhook would move webhook.py to its own package.
"""
