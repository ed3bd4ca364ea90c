"""The kiosk process: `build_kiosk` is its one composition root, `KioskApp` the Kivy shell.

Everything concrete — REST and Socket.IO clients, printer, scanners, heartbeat — is built in
`build_kiosk` from the config; tests pass their own parts through the same function. The app itself
only draws view-models, turns taps and key bursts into flow intents, and moves results from worker
threads onto the UI thread.
"""
from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .config import KioskConfig, ScreenConfig
from .flow import KioskFlow, Screen
from .gateways.rest import RestGateway
from .heartbeat import Heartbeat
from .printing import KioskPrinter
from .scanner import SerialScanner, WedgeDecoder

log = logging.getLogger("kiosk.app")
DESIGN_SIZE = (1080, 1920)  # the layouts are drawn for a portrait full-HD screen


class ThreadIO:
    """The flow's run_io: jobs on worker threads, their answers posted back to the UI thread."""

    def __init__(self, workers: int = 4):
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-io")
        self.post: Callable[[Callable[[], None]], None] = lambda fn: fn()

    def __call__(self, job, done) -> None:
        def run():
            try:
                result, error = job(), None
            except Exception as exc:
                result, error = None, exc
            self.post(lambda: done(result, error))

        self.executor.submit(run)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class KioskParts:
    config: KioskConfig
    gateway: Any
    flow: KioskFlow
    io: ThreadIO
    printer: KioskPrinter | None
    wedge: WedgeDecoder | None
    heartbeat: Heartbeat
    realtime: Any = None
    serial: SerialScanner | None = None
    started: list = field(default_factory=list)


def build_kiosk(config: KioskConfig, *, gateway=None, printer: KioskPrinter | None = None) -> KioskParts:
    io = ThreadIO()
    gateway = gateway or RestGateway(config.backend_url, config.device_token,
                                     connect_timeout_s=config.connect_timeout_s,
                                     read_timeout_s=config.read_timeout_s, app_version=__version__)
    if printer is None and config.printer:
        printer = KioskPrinter.from_config(config.printer)
    flow = KioskFlow(gateway, printer=printer, config=config.flow, run_io=io)

    def on_scan(text: str) -> None:
        io.post(lambda: flow.scan(text))

    wedge = None
    serial_scanner = None
    sc = config.scanner
    if sc.kind == "wedge":
        wedge = WedgeDecoder(on_scan, max_gap_ms=sc.max_gap_ms, min_length=sc.min_length,
                             end_on_pause_ms=sc.end_on_pause_ms)
    elif sc.kind == "serial":
        serial_scanner = SerialScanner(sc.device, on_scan, baudrate=sc.baudrate)

    def on_heartbeat(outcome: str, status: str) -> None:
        def apply():
            flow.printer_changed(status)
            if outcome == "offline":
                flow.backend_down()
            elif outcome == "unauthorized":
                flow.backend_unauthorized()
            elif outcome == "ok" or flow.offline_reason == "network":
                flow.backend_up()
            # "refused" (a rate limit…) answers, but does not take a revoked kiosk back into service
        io.post(apply)

    heartbeat = Heartbeat(gateway, printer.status if printer else (lambda: "offline"),
                          interval_s=config.heartbeat_s, on_result=on_heartbeat)
    # A printer fault seen while printing is reported now, not at the next period.
    flow.printer_listeners.append(lambda _status: heartbeat.beat_now())
    realtime = None
    if config.realtime:
        from .gateways.realtime import KioskRealtime

        realtime = KioskRealtime(config.backend_url, config.device_token,
                                 on_invoice=lambda data: io.post(lambda: flow.invoice_event(data)),
                                 on_connect=lambda: io.post(flow.realtime_connected))
    if printer is not None:
        def name_for_printer(f: KioskFlow) -> None:
            if f.hospital_name:
                printer.hospital_name = f.hospital_name.vi
        flow.listeners.append(name_for_printer)
    return KioskParts(config, gateway, flow, io, printer, wedge, heartbeat, realtime, serial_scanner)


def prepare_kivy(screen: ScreenConfig, windowed: bool) -> None:
    """Window and input settings; must run before kivy.core.window is imported."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # Layouts are in dp/sp for the design size; a smaller or larger screen scales them as a whole.
    density = min(screen.width / DESIGN_SIZE[0], screen.height / DESIGN_SIZE[1])
    os.environ["KIVY_METRICS_DENSITY"] = f"{density:.4f}"
    from kivy.config import Config

    Config.set("graphics", "width", str(screen.width))
    Config.set("graphics", "height", str(screen.height))
    Config.set("graphics", "fullscreen", "auto" if screen.fullscreen and not windowed else "0")
    Config.set("graphics", "resizable", "0")
    Config.set("kivy", "log_level", "info")
    # Request lines carry ticket track tokens (?token=): never at debug level into the kiosk's log.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    Config.set("kivy", "exit_on_escape", "0")  # a stray Esc from a wedge scanner must not close it
    Config.set("kivy", "keyboard_mode", "system")  # never pop a virtual keyboard over the screen
    Config.set("input", "mouse", "mouse,disable_multitouch")


def _register_font() -> str:
    """Noto Sans (vendored by printer_drivers) as Kivy's default font: full Vietnamese coverage,
    and the same letters the printed ticket uses."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    from printer_drivers.fonts import BOLD_FONT, REGULAR_FONT

    LabelBase.register(DEFAULT_FONT, str(REGULAR_FONT), fn_bold=str(BOLD_FONT))
    return str(REGULAR_FONT)


def make_app(parts: KioskParts):
    """The Kivy App class is defined here so that importing this module's helpers stays cheap."""
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.lang import Builder
    from kivy.properties import StringProperty
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.screenmanager import NoTransition

    from . import viewmodels
    from .screens import KV_FILES, SCREEN_CLASSES
    from .screens.widgets import Banner, ChoiceGrid, KButton, QrImage  # noqa: F401  (kv rules use them)

    class KioskRoot(BoxLayout):
        hospital = StringProperty("")
        lang_label = StringProperty("")
        notice = StringProperty("")

    class KioskApp(App):
        title = "Tiếp Đón"

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.parts = parts
            self.flow = parts.flow
            self.sounds: dict[str, Any] = {}
            self.render_count = 0
            self._countdown = None
            self.rendered: list[Callable[[], None]] = []  # hooks run after each render (tests)

        # --- building ---------------------------------------------------------------------------
        def build(self):
            self.font_path = _register_font()
            kv_dir = Path(__file__).with_name("screens")
            for name in KV_FILES:
                Builder.load_file(str(kv_dir / name))
            root = KioskRoot()
            self.sm = root.ids.sm
            self.sm.transition = NoTransition()
            for name, cls in SCREEN_CLASSES.items():
                self.sm.add_widget(cls(name=name))
            self.root_widget = root
            parts.io.post = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0)
            # Two frames at least: the ticket is drawn before printing starts.
            self.flow.after_draw = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0.05)
            self.flow.listeners.append(lambda _f: self.render())
            self.flow.cue_listeners.append(self.play)
            Window.bind(on_textinput=self._on_textinput, on_key_down=self._on_key_down)
            Window.clearcolor = (1, 1, 1, 1)
            Clock.schedule_interval(self._tick, 0.25)
            if parts.config.screen.sounds:
                self._load_sounds()
            self._start_services()
            self.render_into(root)
            self.flow.warm_up()
            return root

        def _start_services(self) -> None:
            parts.heartbeat.start()
            parts.started.append(parts.heartbeat)
            for service in (parts.realtime, parts.serial):
                if service is not None:
                    service.start()
                    parts.started.append(service)

        def on_stop(self):
            for service in parts.started:
                service.stop(timeout=1.0)
            parts.io.shutdown()

        def _load_sounds(self) -> None:
            from kivy.core.audio import SoundLoader

            from .sounds import ensure_sounds

            home = os.environ.get("KIVY_HOME") or self.user_data_dir
            for name, path in ensure_sounds(Path(home) / "sounds").items():
                sound = SoundLoader.load(str(path))
                if sound is not None:
                    self.sounds[name] = sound

        def play(self, cue: str) -> None:
            sound = self.sounds.get(cue)
            if sound is not None:
                sound.stop()
                sound.play()

        # --- drawing ----------------------------------------------------------------------------
        def render(self) -> None:
            self.render_into(self.root_widget)

        def render_into(self, root) -> None:
            vm = viewmodels.build(self.flow)
            c = vm.common
            root.hospital = c.hospital
            root.lang_label = c.lang_label
            root.notice = c.notice
            screen = self.sm.get_screen(c.screen)
            screen.vm = vm
            if self.sm.current != c.screen:
                self.sm.current = c.screen
            self.render_count += 1
            for hook in list(self.rendered):
                hook()

        def _tick(self, _dt) -> None:
            self.flow.tick()
            if parts.wedge is not None:
                parts.wedge.poll()
            if self.flow.screen is Screen.PAYMENT:
                left = self.flow.payment_seconds_left()
                if left != self._countdown:
                    self._countdown = left
                    self.render()  # the countdown is the only thing that changes by itself

        # --- input ------------------------------------------------------------------------------
        def _on_textinput(self, _window, text):
            if parts.wedge is not None:
                parts.wedge.feed_text(text)

        def _on_key_down(self, _window, key, _scancode, _codepoint, _modifiers):
            if key in (13, 271, 9) and parts.wedge is not None:  # Enter, keypad Enter, Tab
                parts.wedge.end()
                return True
            return False

        def act(self, action: str) -> None:
            """A tap on a KButton. One flow intent per action; nothing else happens here."""
            f = self.flow
            f.touch()
            verb, _, arg = action.partition(":")
            simple = {
                "lang": f.toggle_language, "start": f.start, "manual": f.manual_open,
                "no_papers": f.no_papers, "back": f.back, "confirm": f.confirm,
                "cancel_payment": f.cancel_payment, "done": f.done, "reprint": f.reprint,
                "open_visit": f.resume_open_visit, "msubmit": f.manual_submit,
                "pay_cashier": f.pay_at_cashier, "other_clinic": f.other_clinic,
            }
            with_arg = {
                "service": f.choose_service, "coverage": f.set_coverage, "priority": f.toggle_priority,
                "pay": f.set_payment_method, "mtype": f.manual_type, "mfield": f.manual_field,
                "key": f.manual_key,
            }
            if verb in simple:
                simple[verb]()
            elif verb in with_arg and arg:
                with_arg[verb](arg)
            elif verb == "msg":
                f.retry() if arg == "retry" else f.done()

    return KioskApp()


def run(config: KioskConfig, *, windowed: bool = False) -> None:
    prepare_kivy(config.screen, windowed)
    parts = build_kiosk(config)
    app = make_app(parts)
    started = time.monotonic()
    log.info("kiosk starting against %s", config.backend_url)
    app.run()
    log.info("kiosk stopped after %.0f s", time.monotonic() - started)
