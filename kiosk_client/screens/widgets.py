"""Reusable widgets: a button that names its action, a grid of choices built from a view-model
list, and a QR code drawn from a string. None of them decides anything."""
from __future__ import annotations

import re

from kivy.app import App
from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics.texture import Texture
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label

from . import theme


_TAGS = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")
_ENTITIES = {"&amp;": "&", "&bl;": "[", "&br;": "]"}


def plain(text: str) -> str:
    """A label's text without Kivy markup: the words as the patient reads them."""
    text = _TAGS.sub("", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


def widest_word(text: str, font_size: float, bold: bool) -> float:
    words = plain(text).split()
    if not words:
        return 0.0
    measure = CoreLabel(font_size=font_size, bold=bold)
    return max(measure.get_extents(w)[0] for w in words)


def fitted_font_size(text: str, nominal: float, width: float, bold: bool) -> float:
    """Lines wrap between words only: a word wider than the button (a long English clinic name,
    "Ophthalmology") gets a smaller font rather than being cut in two."""
    if width <= 0:
        return nominal
    widest = widest_word(text, nominal, bold)
    if widest <= width:
        return nominal
    return max(12.0, float(int(nominal * width / widest * 0.98)))


class KButton(Button):
    """A touch target; `action` is what it asks the flow to do (see KioskApp.act)."""

    action = StringProperty("")
    selected = BooleanProperty(False)
    kind = StringProperty("primary")  # primary | secondary | go
    # The size the layout asks for; font_size is this, or less when a word would not fit.
    nominal_font_size = NumericProperty(sp(theme.BODY))

    def __init__(self, **kwargs):
        self._refit_soon = Clock.create_trigger(self._refit, -1)
        super().__init__(**kwargs)
        self.bind(text=self._refit_soon, text_size=self._refit_soon, bold=self._refit_soon,
                  nominal_font_size=self._refit_soon)
        self._refit()

    def _refit(self, *_):
        width = self.text_size[0] if self.text_size and self.text_size[0] else self.width
        bold = self.bold or (self.markup and "[b]" in self.text)  # a clinic's name is bold markup
        self.font_size = fitted_font_size(self.text, self.nominal_font_size, width, bold)

    def on_release(self):
        app = App.get_running_app()
        if app is not None and self.action:
            app.act(self.action)


class Banner(Label):
    """A full-width coloured strip with a message; it takes no room when there is nothing to say."""

    bg = ColorProperty(theme.ERROR)


class ChoiceGrid(GridLayout):
    """One KButton per view-model Choice; `prefix` + ':' + choice.id is the action."""

    choices = ListProperty([])
    prefix = StringProperty("")
    button_height = NumericProperty(dp(theme.TOUCH_MIN + 20))
    font_size = NumericProperty(sp(theme.BODY))
    kind = StringProperty("secondary")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bind(minimum_height=self.setter("height"))

    def on_choices(self, *_):
        # Buttons are reused when the count is unchanged: building a Kivy widget costs far more
        # than updating one, and the clinic list is redrawn for every patient.
        if len(self.children) != len(self.choices):
            self.clear_widgets()
            for _ in self.choices:
                self.add_widget(KButton(markup=True, size_hint_y=None))
        for button, choice in zip(reversed(self.children), self.choices):
            label = choice.label
            if choice.detail:
                # Queue counts, fees, typed values: secondary, but readable at arm's length.
                small = int(min(self.font_size, max(self.font_size * 0.85, sp(theme.DETAIL_MIN))))
                label = f"[b]{_escape(label)}[/b]\n[size={small}]{_escape(choice.detail)}[/size]"
            else:
                label = _escape(label)
            button.text = label
            button.action = f"{self.prefix}:{choice.id}"
            button.kind = self.kind
            button.selected = choice.selected
            button.disabled = not choice.enabled
            button.opacity = 1 if choice.label else 0  # padding keys of a short keyboard row
            button.nominal_font_size = self.font_size
            button.height = self.button_height


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


class QrImage(Image):
    """Draws `data` as a QR code with crisp square modules (no smoothing)."""

    data = StringProperty("")

    def on_data(self, *_):
        if not self.data:
            self.texture = None
            return
        import qrcode

        qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(self.data)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        size = len(matrix)
        scale = 4
        rows = []
        for row in reversed(matrix):  # textures start at the bottom
            line = b"".join((b"\x00\x00\x00" if cell else b"\xff\xff\xff") * scale for cell in row)
            rows.extend([line] * scale)
        texture = Texture.create(size=(size * scale, size * scale), colorfmt="rgb")
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        texture.blit_buffer(b"".join(rows), colorfmt="rgb", bufferfmt="ubyte")
        self.texture = texture
