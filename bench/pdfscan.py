"""PDF upload check benchmark: what `portal.schemaforms.pdfscan.pdf_refusal` costs.

Run:  DEBUG=1 VAR_DIR=$(mktemp -d) .venv/bin/python bench/pdfscan.py [--rounds 30]

Files, built in the run:
- office: three WeasyPrint pages (the portal's own documento_demo.html, merged by pypdf),
  fonts and Flate content streams, as an office suite's "save as PDF" gives;
- scanned: three A4 pages at 150 dpi, one JPEG each (Pillow), as a scanner gives;
- bomb: the object-stream bomb of the tests (1 MB inflating to 1 GiB);
- many objects: one page with 10,000 web-link annotations (pypdf parses each object in
  Python, so this is the cost per object).
For each: the median and p95 over the rounds of the whole check, against the baseline
measured in the same run, `PdfReader(BytesIO(data))` (pypdf just opening the file), as
a ratio; and the check's peak of traced memory (tracemalloc, one extra run).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import describe  # noqa: E402 - after the path is set


def _office() -> bytes:
    from pypdf import PdfWriter

    import pdf

    writer = PdfWriter()
    for number in (1, 2, 3):
        page = pdf.render_pdf("documento_demo.html", {"titulo": f"Oficio N° {number:04d}-2026-MINEDU"})
        writer.append(io.BytesIO(page))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _scanned() -> bytes:
    from PIL import Image, ImageDraw

    pages = []
    for number in range(3):
        image = Image.new("RGB", (1240, 1754), (250, 248, 240))
        draw = ImageDraw.Draw(image)
        for line in range(60):  # lines of "text", so the JPEG is not trivially small
            draw.rectangle((120, 150 + line * 25, 1100 - (line * 37 + number * 50) % 400, 162 + line * 25),
                           fill=(30, 30, 40))
        pages.append(image)
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=150, quality=85)
    return buffer.getvalue()


def _bomb() -> bytes:
    from tests.portal.schemaforms.pdfbuild import CATALOG, PAGE, PAGES, inflating_to, object_stream, raw_pdf

    return raw_pdf([CATALOG, PAGES, PAGE, (5, 0, object_stream([(4, b"<< >>")], inflating_to(1 << 30)))])


def _many_objects() -> bytes:
    from tests.portal.schemaforms.pdfbuild import CATALOG, PAGE, PAGES, raw_pdf

    links = [(number, 0, b"<< /Type /Annot /Subtype /Link /Rect [0 0 1 1] /A << /S /URI /URI (https://www.gob.pe/"
              b"%d) >> >>" % number) for number in range(4, 10_004)]
    return raw_pdf([CATALOG, PAGES, PAGE, *links])


def _times(call: Callable[[], object], rounds: int) -> list[float]:
    call()  # warm-up
    found = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return found


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["DEBUG"] = "1"
    import django

    django.setup()
    from pypdf import PdfReader

    from portal.schemaforms.pdfscan import pdf_refusal

    files = {"office": _office(), "scanned": _scanned(), "bomb": _bomb(), "many objects": _many_objects()}
    print(f"Machine: {describe()}")
    print(f"Command: DEBUG=1 VAR_DIR=$(mktemp -d) .venv/bin/python bench/pdfscan.py --rounds {rounds}\n")
    print("| file | size | pages | open (pypdf), median / p95 ms | check, median / p95 ms | ratio (medians) "
          "| check peak memory | answer |")
    print("|---|---|---|---|---|---|---|---|")
    for label, data in files.items():
        opened = _times(lambda data=data: PdfReader(io.BytesIO(data)), rounds)
        checked = _times(lambda data=data: pdf_refusal(io.BytesIO(data), "x.pdf"), rounds)
        tracemalloc.start()
        answer = pdf_refusal(io.BytesIO(data), "x.pdf")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        pages = len(PdfReader(io.BytesIO(data)).pages)
        ratio = statistics.median(checked) / statistics.median(opened)
        print(f"| {label} | {len(data) / 1024:,.0f} KiB | {pages} | {statistics.median(opened):.2f} / "
              f"{_p95(opened):.2f} | {statistics.median(checked):.2f} / {_p95(checked):.2f} | {ratio:.1f}x "
              f"| {peak / (1 << 20):.1f} MiB | {'accepted' if answer is None else 'refused: ' + answer} |")


if __name__ == "__main__":
    main()
