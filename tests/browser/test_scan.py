"""Issue 18, scanning: the "Scan" button of a receipt reads a box label (QR) and a seal
(Code 128) with the phone camera, and the receipt is saved with both; the camera refused
gives a clear message and typing stays possible; the vendored decoder is loaded only when a
scan starts and reads a generated label image by itself.

Headless chromium on Linux has no BarcodeDetector, so these tests run the vendored ZXing
fallback (the native path is one ``detect`` call). The camera is a stub: ``getUserMedia``
answers with the stream of a canvas showing the generated image, redrawn ten times a second,
as a phone camera pointed at the label would. QR images come from segno (what the label PDF
draws); the Code 128 image from the small encoder below (ISO/IEC 15417 code set B), which
only a correct table lets ZXing read back.
"""

from __future__ import annotations

import base64
import io
import re
import zlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from posko.core import clock
from posko.logistics.label_pdf import label_qr
from posko.logistics.labels import label_code
from posko.logistics.models import Item, Shipment
from posko.logistics.services import requirements
from posko.logistics.services.shipments import create_shipment
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE128 = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 "
    "112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 "
    "311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 "
    "112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 "
    "313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 "
    "122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 "
    "114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 2331112").split()
START_B, STOP = 104, 106


def code128_png(text: str, module: int = 3, height: int = 90) -> str:
    values = [START_B] + [ord(c) - 32 for c in text]
    checksum = (START_B + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    widths = "".join(CODE128[v] for v in [*values, checksum, STOP])
    quiet = 12 * module
    image = Image.new("L", (sum(map(int, widths)) * module + 2 * quiet, height + 2 * quiet), 255)
    draw, x = ImageDraw.Draw(image), quiet
    for index, width in enumerate(map(int, widths)):
        if index % 2 == 0:  # bars at even positions, spaces between
            draw.rectangle([x, quiet, x + width * module - 1, quiet + height], fill=0)
        x += width * module
    return data_uri(image)


def data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def qr_png(text: str) -> str:
    # ZXing misses about 1 % of pixel-perfect codes at a given size even after its four
    # looks (sizes, binarizers); a camera gives it a new frame every 150 ms. Scale 5 reads
    # 200 of 200 sampled label codes (the decoder's own measure, 4 Dec 2026).
    return label_qr(text).png_data_uri(scale=5, border=4)


RECT_PATH = re.compile(rb"0 g ((?:[-\d.]+ [-\d.]+ [-\d.]+ [-\d.]+ re ?)+) f")


def pdf_qr_images(data: bytes, px_per_pt: float = 2.5) -> list[str]:
    """The QR codes drawn in a label PDF, each redrawn from its rectangles as a PNG (what a
    camera sees of a printed label, minus the blur)."""
    images = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            raw = zlib.decompressobj().decompress(match.group(1))
        except zlib.error:
            continue
        for path in RECT_PATH.finditer(raw):
            numbers = [float(n) for n in path.group(1).replace(b"re", b" ").split()]
            rects = [numbers[i:i + 4] for i in range(0, len(numbers), 4)]
            left = min(r[0] for r in rects)
            top = max(r[1] for r in rects)
            right = max(r[0] + r[2] for r in rects)
            bottom = min(r[1] + r[3] for r in rects)
            margin = 12
            image = Image.new("L", (int((right - left) * px_per_pt) + 2 * margin,
                                    int((top - bottom) * px_per_pt) + 2 * margin), 255)
            draw = ImageDraw.Draw(image)
            for x, y, w, h in rects:  # PDF y grows upwards; h is negative (drawn downwards)
                x0 = margin + (x - left) * px_per_pt
                y0 = margin + (top - y) * px_per_pt
                draw.rectangle([x0, y0, x0 + w * px_per_pt - 1, y0 - h * px_per_pt - 1], fill=0)
            images.append(data_uri(image))
    return images


CAMERA_STUB = """
(src) => new Promise((resolve) => {
  const img = new Image();
  img.addEventListener("load", () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640; canvas.height = 480;
    const ctx = canvas.getContext("2d");
    const scale = Math.min(560 / img.width, 400 / img.height);
    const draw = () => {
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 640, 480);
      ctx.drawImage(img, 40, 40, img.width * scale, img.height * scale);
    };
    draw();
    if (window.__cameraTimer) { clearInterval(window.__cameraTimer); }
    window.__cameraTimer = setInterval(draw, 100);
    window.__cameraAsked = [];
    delete window.BarcodeDetector;
    navigator.mediaDevices.getUserMedia = (constraints) => {
      window.__cameraAsked.push(constraints);
      return Promise.resolve(canvas.captureStream(10));
    };
    resolve();
  });
  img.src = src;
})
"""

CAMERA_REFUSED = """
() => {
  navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
}
"""


@pytest.fixture
def shipment(world, users):
    e = world.election
    kotak = Item.objects.create(election=e, code="kotak_suara", name="Kotak suara",
                                norm=Item.Norm.PER_TPS, quantity=1, order=1)
    requirements.recompute(e)
    box = label_code(e.pk, world.tps_a.kelurahan_id, world.tps_a.number, kotak.code, 1)
    shipment = create_shipment(e, Shipment.Level.PPS, Shipment.Level.TPS, world.tps_a,
                               {kotak: 1}, seal_numbers="KPU-001", actor=users["kelurahan_a"],
                               box_codes=box, dispatched_at=clock.now() - timedelta(hours=2))
    shipment.box = box
    return shipment


def english(page: Page, base_url: str) -> None:
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en",
                               "url": base_url}])


def decoder_requests(guard) -> list[str]:
    return [url for url in guard.local if "/vendor/zxing/" in url]


def test_a_receipt_scans_its_box_label_and_seal(page: Page, base_url, guard, shipment,
                                                page_errors):
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("logistics:shipment_confirm", args=[shipment.pk]))
    box_input, seal_input = page.locator("#id_box_codes"), page.locator("#id_seal_numbers")
    expect(page.locator('[data-testid="scan-box_codes"]')).to_be_visible()
    # Ordinary page weight: the decoder is not loaded until a scan starts.
    assert page.evaluate("typeof window.ZXing") == "undefined"
    assert decoder_requests(guard) == []

    page.evaluate(CAMERA_STUB, qr_png(shipment.box))
    page.locator('[data-testid="scan-box_codes"]').click()
    expect(box_input).to_have_value(shipment.box)
    expect(page.locator('[data-testid="scan-overlay"]')).to_have_count(0)  # closes by itself
    asked = page.evaluate("window.__cameraAsked")
    assert asked[0]["video"]["facingMode"] == {"ideal": "environment"}  # the rear camera
    assert asked[0]["audio"] is False
    assert len(decoder_requests(guard)) == 1

    page.evaluate(CAMERA_STUB, code128_png("KPU-001"))
    page.locator('[data-testid="scan-seal_numbers"]').click()
    expect(seal_input).to_have_value("KPU-001")
    # A second code is added, not replacing the first; the same code is not added twice.
    page.evaluate(CAMERA_STUB, code128_png("KPU-002"))
    page.locator('[data-testid="scan-seal_numbers"]').click()
    expect(seal_input).to_have_value("KPU-001, KPU-002")
    page.locator('[data-testid="scan-seal_numbers"]').click()
    expect(page.locator('[data-testid="scan-overlay"]')).to_have_count(0)
    expect(seal_input).to_have_value("KPU-001, KPU-002")

    page.locator("#id_receiver_name").fill("Bu Sri (KPPS)")
    page.locator("main form button.primary[type=submit]").click()
    page.wait_for_url(base_url + shipment.get_absolute_url())
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.RECEIVED
    assert shipment.received_box_codes == shipment.box
    assert shipment.received_seal_numbers == "KPU-001, KPU-002"
    expect(page.locator('[data-testid="seal-mismatch"]')).to_be_visible()  # KPU-002 is extra
    assert page_errors == []


def test_a_refused_camera_says_so_and_typing_still_works(page: Page, base_url, shipment,
                                                         page_errors):
    english(page, base_url)
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("logistics:shipment_confirm", args=[shipment.pk]))
    page.evaluate(CAMERA_REFUSED)
    page.locator('[data-testid="scan-box_codes"]').click()
    error = page.locator('[data-testid="scan-error"]')
    expect(error).to_contain_text("Camera access was refused")
    page.locator('[data-testid="scan-overlay"] button').click()
    expect(page.locator('[data-testid="scan-overlay"]')).to_have_count(0)
    page.locator("#id_box_codes").fill(shipment.box)
    expect(page.locator("#id_box_codes")).to_have_value(shipment.box)
    # No camera API at all (plain http on a phone): the other message.
    page.evaluate("() => { Object.defineProperty(navigator, 'mediaDevices', {value: undefined}); }")
    page.locator('[data-testid="scan-seal_numbers"]').click()
    expect(page.locator('[data-testid="scan-error"]')).to_contain_text("No camera can be used")
    assert page_errors == []


def test_the_decoder_reads_a_generated_label(page: Page, base_url, world, shipment, page_errors):
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("logistics:labels"))
    code = label_code(world.election.pk, "35.73.02.1001", 12, "surat-suara-walikota", 1)
    read = page.evaluate("""async ([src, fallback]) => {
        const img = new Image(); img.src = src; await img.decode();
        return window.PoskoScan.decode(img, {fallback});
    }""", [qr_png(code), True])
    assert read == code
    read = page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        return window.PoskoScan.decode(img, {fallback: true});
    }""", code128_png("SEGEL-000123"))
    assert read == "SEGEL-000123"
    # A picture with no code in it reads as nothing (the camera loop keeps looking).
    blank = data_uri(Image.new("L", (200, 200), 255))
    assert page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        return window.PoskoScan.decode(img, {fallback: true});
    }""", blank) is None
    assert page_errors == []


def test_the_qr_printed_on_a_label_pdf_reads_back(page: Page, base_url, world, shipment,
                                                 page_errors):
    """The label PDF of the kelurahan, its QR codes redrawn from the PDF's own rectangles and
    read by the scanner's decoder: each gives the code printed under it."""
    log_in(page, base_url, "kelurahan_a")
    page.goto(base_url + reverse("logistics:labels"))
    response = page.request.get(base_url + reverse("logistics:label_pdf") +
                                f"?kelurahan={world.kel_a.code}")
    assert response.status == 200
    images = pdf_qr_images(response.body())
    assert len(images) == 1  # one TPS, one item (kotak suara, 1 per TPS)
    read = page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        return window.PoskoScan.decode(img, {fallback: true});
    }""", images[0])
    assert read == shipment.box
    assert page_errors == []
