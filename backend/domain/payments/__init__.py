"""Payment wire formats and decisions (VNPay 2.1.0, VietQR / NAPAS 247), free of I/O and frameworks.

Modules:
    vietqr            EMVCo TLV, CRC-16, VietQR payload build/decode
    banks             bank BIN directory parsed from banks.csv
    reference         payment references carried in transfer content, and finding them again
    transfer_matching decide what an incoming bank transfer means for our invoices
    vnpay             facade over vnpay_signing, vnpay_payment, vnpay_ipn, vnpay_api, vnpay_codes
    invoice_view      the minimal invoice facts the decisions need
    text, timezones   ASCII folding of Vietnamese text; Vietnam's fixed UTC+7
"""
