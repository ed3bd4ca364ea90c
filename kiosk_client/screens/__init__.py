"""Thin screen classes: each holds the view-model it is showing; the .kv layout binds to it."""
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen

KV_FILES = ("common.kv", "welcome.kv", "scan.kv", "manual.kv", "busy.kv", "choose.kv", "confirm.kv",
            "payment.kv", "ticket.kv", "message.kv", "offline.kv")


class KioskScreen(Screen):
    vm = ObjectProperty(None, allownone=True)


class WelcomeScreen(KioskScreen):
    pass


class ScanScreen(KioskScreen):
    pass


class ManualScreen(KioskScreen):
    pass


class BusyScreen(KioskScreen):
    pass


class ChooseScreen(KioskScreen):
    pass


class ConfirmScreen(KioskScreen):
    pass


class PaymentScreen(KioskScreen):
    pass


class TicketScreen(KioskScreen):
    pass


class MessageScreen(KioskScreen):
    pass


class OfflineScreen(KioskScreen):
    pass


SCREEN_CLASSES = {
    "welcome": WelcomeScreen, "scan": ScanScreen, "manual": ManualScreen, "busy": BusyScreen,
    "choose": ChooseScreen, "confirm": ConfirmScreen, "payment": PaymentScreen,
    "ticket": TicketScreen, "message": MessageScreen, "offline": OfflineScreen,
}
