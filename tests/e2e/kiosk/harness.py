"""Drives a running KioskApp from another thread the way a patient and a scanner would:
keystroke bursts into the window (keyboard-wedge scanner), touches at a button's position on screen,
and screenshots of the real window. Every wait is bounded."""
from __future__ import annotations

import os
import threading
import time


class StepTimeout(AssertionError):
    pass


class Harness:
    def __init__(self, app, shots_dir: str | None = None):
        self.app = app
        self.flow = app.flow
        self.shots_dir = shots_dir
        self.shots: list[str] = []

    # --- running things on the UI thread --------------------------------------------------------
    def ui(self, fn, timeout: float = 20.0):
        from kivy.clock import Clock

        done = threading.Event()
        box: dict = {}

        def run(_dt):
            try:
                box["value"] = fn()
            except BaseException as exc:  # re-raised on the calling thread
                box["error"] = exc
            done.set()

        Clock.schedule_once(run, 0)
        if not done.wait(timeout):
            raise StepTimeout("the UI thread did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def wait(self, predicate, timeout: float = 20.0, what: str = "condition", poll: float = 0.01):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ui(predicate):
                return
            time.sleep(poll)
        raise StepTimeout(f"timed out waiting for {what} (screen {self.screen()})")

    def screen(self) -> str:
        return self.ui(lambda: self.flow.screen.value)

    def wait_screen(self, name: str, timeout: float = 20.0) -> None:
        self.wait(lambda: self.flow.screen.value == name and self.app.sm.current == name, timeout,
                  f"screen {name}")

    def frames(self, n: int = 2) -> None:
        """Let the window draw what the last change put on screen."""
        from kivy.clock import Clock

        for _ in range(n):
            done = threading.Event()
            Clock.schedule_once(lambda _dt: done.set(), 0)
            done.wait(5)
            time.sleep(0.02)

    # --- the scanner and the patient ------------------------------------------------------------
    def scan_keys(self, text: str, gap_s: float = 0.0) -> None:
        """A keyboard-wedge scanner: one text-input event per character, then Enter."""
        from kivy.core.window import Window

        if gap_s <= 0:
            def burst():
                for ch in text:
                    Window.dispatch("on_textinput", ch)
                Window.dispatch("on_key_down", 13, 40, None, [])
            self.ui(burst)
            return
        for ch in text:
            self.ui(lambda ch=ch: Window.dispatch("on_textinput", ch))
            time.sleep(gap_s)
        self.ui(lambda: Window.dispatch("on_key_down", 13, 40, None, []))

    def _find(self, action: str):
        from kiosk_client.screens.widgets import KButton

        # The window's tree holds the header and only the screen on show.
        for widget in self.app.root_widget.walk(restrict=True):
            if isinstance(widget, KButton) and widget.action == action and not widget.disabled \
                    and widget.opacity > 0 and widget.get_root_window() is not None:
                return widget
        return None

    def tap(self, action: str, timeout: float = 10.0) -> None:
        """A finger on the button's centre: touch down, touch up, through the window's input."""
        from kivy.tests.common import UnitTestTouch

        self.wait(lambda: self._find(action) is not None, timeout, f"button {action}")

        def touch():
            widget = self._find(action)
            x, y = widget.to_window(*widget.center)
            t = UnitTestTouch(x, y)
            t.touch_down()
            t.touch_up()
        self.ui(touch)

    def button_sizes(self) -> list[tuple[str, float, float]]:
        """(action, width, height) of every button on the current screen and the header."""
        from kiosk_client.screens.widgets import KButton

        def collect():
            return [(w.action, w.width, w.height) for w in self.app.root_widget.walk(restrict=True)
                    if isinstance(w, KButton) and w.opacity > 0 and w.action and not w.disabled]
        return self.ui(collect)

    def texts(self) -> list[str]:
        """Every text on the current screen and the header, as drawn."""
        from kivy.uix.label import Label

        def collect():
            return [w.text for w in self.app.root_widget.walk(restrict=True)
                    if isinstance(w, Label) and w.text and w.opacity > 0]
        return self.ui(collect)

    def overflowing_labels(self) -> list[str]:
        """Labels whose drawn text is wider than the label: text that does not fit."""
        from kivy.uix.label import Label

        def collect():
            return [w.text[:40] for w in self.app.root_widget.walk(restrict=True)
                    if isinstance(w, Label) and w.text and w.opacity > 0
                    and (w.texture_size[0] > w.width + 2 or w.texture_size[1] > w.height + 2)]
        return self.ui(collect)

    def clipped_labels(self) -> list[str]:
        """Labels of the screen on show that stick out of the screen's area (a column of text taller
        than the screen pushes its first lines under the header)."""
        from kivy.uix.label import Label

        def collect():
            sm = self.app.sm
            _, bottom = sm.to_window(sm.x, sm.y)
            top = bottom + sm.height
            out = []
            for w in sm.current_screen.walk(restrict=True):
                if isinstance(w, Label) and w.text and w.opacity > 0 and w.height > 0:
                    _, y = w.to_window(w.x, w.y)
                    if y < bottom - 2 or y + w.height > top + 2:
                        out.append(w.text[:40])
            return out
        return self.ui(collect)

    def broken_words(self) -> list[str]:
        """Lines that end inside a word ("Ophthalmolog|y"): where the drawn lines of a label, read in
        order through its text, end at a character that is neither a space nor before one."""
        from kivy.uix.label import Label

        from kiosk_client.screens.widgets import plain

        def collect():
            out = []
            for w in self.app.root_widget.walk(restrict=True):
                if not isinstance(w, Label) or not w.text or w.opacity <= 0:
                    continue
                lines = ["".join(word.text for word in line.words).strip()
                         for line in (getattr(w._label, "_cached_lines", None) or [])]
                lines = [t for t in lines if t]
                full, pos = plain(w.text), 0
                for i, line in enumerate(lines):
                    at = full.find(line, pos)
                    if at < 0:
                        break
                    end = at + len(line)
                    if i < len(lines) - 1 and end < len(full) and not full[end].isspace():
                        out.append(f"{full[max(0, end - 15):end]}|{full[end:end + 15]}")
                    pos = end
            return out
        return self.ui(collect)

    def shot(self, name: str) -> str | None:
        if not self.shots_dir:
            return None
        from kivy.core.window import Window

        self.frames(3)
        os.makedirs(self.shots_dir, exist_ok=True)
        made = self.ui(lambda: Window.screenshot(name=os.path.join(self.shots_dir, "tmp-shot.png")))
        target = os.path.join(self.shots_dir, f"{name}.png")
        os.replace(made, target)
        self.shots.append(target)
        return target
