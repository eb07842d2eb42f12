"""Fonts for Chinese labels in figures: a shipped CJK subset, installed CJK fonts, and a clear warning.

matplotlib draws a missing glyph as an empty box, so a Chinese title in DejaVu Sans is a row of boxes.
acdsim ships a subset of WenQuanYi Micro Hei (文泉驿微米黑, Apache-2.0; the 3 755 characters of GB 2312
level 1 plus every character of :mod:`sim.labels`, 0.7 MB; see ``LICENSE-wqy-microhei.txt``) and puts it
after the Latin font in the figure's font family, so matplotlib (≥ 3.6, per-glyph fallback) takes Latin
text from DejaVu Sans and Chinese from the first font that has the glyph: an installed full CJK font if one
exists (Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang …), then the subset.
A character none of them has is reported once with the way to install a full font.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

SUBSET_FONT = Path(__file__).with_name("wqy-microhei-subset.ttf")
SUBSET_NAME = "WenQuanYi Micro Hei"
KNOWN_CJK = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
             "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "Droid Sans Fallback", "AR PL UMing CN")
INSTALL_HINT = ("install a full CJK font, e.g. 'apt install fonts-noto-cjk' (Debian/Ubuntu) or "
                "'brew install --cask font-noto-sans-cjk-sc' (macOS)")


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """The family list for figures: Latin first, then installed CJK fonts, then the shipped subset."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    if SUBSET_NAME not in installed and SUBSET_FONT.exists():
        font_manager.fontManager.addfont(str(SUBSET_FONT))
    system = [name for name in KNOWN_CJK if name in installed]
    return ("DejaVu Sans", *system, SUBSET_NAME)


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` that no font of :func:`font_family` can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    fonts = []
    for name in font_family():
        path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
        fonts.append(FT2Font(path))
    return sorted({c for c in text if not c.isspace() and not any(f.get_char_index(ord(c)) for f in fonts)})


@contextmanager
def cjk_fonts():
    """Figures (and their text) created inside use :func:`font_family`."""
    import matplotlib

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="findfont: Font family")
        with matplotlib.rc_context({"font.family": list(font_family()), "axes.unicode_minus": False}):
            yield


def warn_missing(text: str) -> None:
    """One warning naming the characters no available font can draw, and how to fix that."""
    missing = missing_glyphs(text)
    if missing:
        warnings.warn(f"no installed font can draw {''.join(missing[:20])!r}; they will show as boxes — "
                      f"{INSTALL_HINT}", stacklevel=2)
