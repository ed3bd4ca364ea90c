"""Payment adapters: VNPay merchant_webapi client, bank-transfer webhook authentication, QR images."""
