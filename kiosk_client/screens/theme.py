"""Colours and sizes: high contrast (dark text on white, white text on dark buttons, contrast
ratios above 7:1) and sizes for a patient reading at arm's length. Sizes are in dp/sp, and the app
sets the density from the screen so a 1080×1920 kiosk gets exactly these pixels."""

WHITE = (1, 1, 1, 1)
BACKGROUND = (1, 1, 1, 1)
TEXT = (0.07, 0.07, 0.07, 1)
MUTED = (0.22, 0.22, 0.22, 1)
PRIMARY = (0.04, 0.24, 0.57, 1)        # dark blue buttons, white text
PRIMARY_DOWN = (0.02, 0.14, 0.36, 1)
GO = (0.08, 0.37, 0.13, 1)             # the one button that issues the number: dark green
SECONDARY = (0.90, 0.92, 0.96, 1)      # light buttons, dark text
SELECTED = (0.98, 0.78, 0.10, 1)       # chosen option: amber with dark text
DISABLED = (0.80, 0.80, 0.80, 1)
ERROR = (0.65, 0.0, 0.09, 1)           # notices: white on dark red
WARNING = (0.55, 0.29, 0.0, 1)
OK = (0.08, 0.37, 0.13, 1)
HEADER = (0.04, 0.24, 0.57, 1)

# Status colour of the BHYT check bar on the patient card.
BHYT_COLOURS = {"ok": OK, "flagged": WARNING, "pending": WARNING, "refused": ERROR, "": WHITE}

TOUCH_MIN = 130   # dp: every button is at least this tall (brief: ≥ 120 px)
BODY = 40         # sp
SMALL = 38        # secondary text: readable at arm's length by an 80-year-old (was 32)
DETAIL_MIN = 36   # sp: the smallest detail line on a button (queue counts, typed values)
TITLE = 60
HUGE = 96
NUMBER = 230
