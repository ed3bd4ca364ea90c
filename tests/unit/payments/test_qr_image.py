import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from backend.adapters.payments.qr_image import QrCodeRenderer, qr_png, qr_svg
from backend.adapters.payments.vietqr.payload import build_vietqr, decode_vietqr

PAYLOAD = build_vietqr("970436", "1012345678", 150000, "TD7K3M9QX2 Kham benh")


def read_qr(png: bytes) -> zxingcpp.Barcode:
    image = Image.open(io.BytesIO(png))
    result = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert result is not None, "no QR code found in the image"
    return result


def test_png_decodes_back_to_the_exact_payload_with_a_real_decoder():
    result = read_qr(qr_png(PAYLOAD))
    assert result.text == PAYLOAD
    assert result.ec_level == "M"
    assert decode_vietqr(result.text)["amount"] == 150000


def test_png_has_a_four_module_white_quiet_zone():
    png = qr_png(PAYLOAD, box_size=5)
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    margin = 4 * 5
    band = [
        image.getpixel((x, y))
        for x in range(width)
        for y in range(height)
        if x < margin or y < margin or x >= width - margin or y >= height - margin
    ]
    assert set(band) == {255}
    # ...and the first dark module (finder pattern corner) sits right after it.
    assert image.getpixel((margin, margin)) == 0


def rasterize_svg_modules(svg: str, scale: int = 8) -> Image.Image:
    """Draw the SVG's module squares onto a white bitmap (the renderer emits one "Mx,yH..V..H..z" per module)."""
    root = ET.fromstring(svg)
    size = int(float(root.attrib["viewBox"].split()[2]))
    image = Image.new("L", (size * scale, size * scale), 255)
    for path in (el for el in root.iter() if el.tag.endswith("path")):
        for x, y in re.findall(r"M(\d+),(\d+)H", path.attrib["d"]):
            x0, y0 = int(x) * scale, int(y) * scale
            image.paste(0, (x0, y0, x0 + scale, y0 + scale))
    return image


def test_svg_is_well_formed_sized_like_the_png_and_decodes():
    svg = qr_svg(PAYLOAD)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    view_box = [float(v) for v in root.attrib["viewBox"].split()]
    png_modules = Image.open(io.BytesIO(qr_png(PAYLOAD, box_size=1))).size[0]
    assert view_box[2] == view_box[3] == png_modules
    backgrounds = [el for el in root.iter() if el.tag.endswith("rect")]
    assert backgrounds and backgrounds[0].attrib.get("fill") == "white", "background must be opaque white"
    decoded = zxingcpp.read_barcode(rasterize_svg_modules(svg), formats=zxingcpp.BarcodeFormat.QRCode)
    assert decoded is not None and decoded.text == PAYLOAD


def test_renderer_port_and_input_checks():
    renderer = QrCodeRenderer(box_size=4)
    assert read_qr(renderer.png(PAYLOAD)).text == PAYLOAD
    assert renderer.svg(PAYLOAD).startswith("<svg") or "<svg" in renderer.svg(PAYLOAD)
    with pytest.raises(ValueError):
        qr_png("")
    with pytest.raises(ValueError):
        qr_png(PAYLOAD, border=2)


def test_vnpay_url_renders_too():
    url = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?vnp_Amount=15000000&vnp_SecureHash=" + "ab" * 64
    assert read_qr(qr_png(url)).text == url
