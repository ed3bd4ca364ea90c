"""Tiếp Đón kiosk: a Kivy touch client for the lobby.

`flow.py` is the patient's path (pure Python), `viewmodels.py` what each screen shows, `screens/`
the .kv layouts, `gateways/` REST and Socket.IO, `scanner.py` keyboard-wedge and serial scanners,
`printing.py` the printer glue, `app.py` the one composition root. Importing this package imports
no Kivy; only `kiosk_client.app` does.
"""
__version__ = "0.1.0"
