"""Payment rules, free of I/O, frameworks and any provider's wire format.

Modules:
    reference         payment references carried in transfer content, and finding them again
    transfer_matching decide what an incoming bank transfer means for our invoices
    invoice_view      the minimal invoice facts the decisions need
    text, timezones   ASCII folding of Vietnamese text; Vietnam's fixed UTC+7

Providers' wire formats (VNPay 2.1.0, VietQR / NAPAS 247, the bank webhook) live in
backend/adapters/payments/<provider>/; see docs/payments.md "Adding a payment method".
"""
