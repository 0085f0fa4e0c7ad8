#!/usr/bin/env python3
"""Regenerate the channel's font subsets from Debian's Noto Sans CJK.

The full Noto Sans CJK SC face holds ~65,000 glyphs; fontdue parses every glyph
when a font is loaded (about 1.25 s and 320 MB for the full face), so infotv ships
a subset: printable ASCII, all of GB2312 (6,763 hanzi plus its symbols), a few
typographic marks the screens use, and every character that appears in the
shipped channel's files and folder names.

Usage (from the repository root):
    apt-get install fonts-noto-cjk && pip install fonttools
    python3 fonts/subset.py [channels]
"""
import os
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE_DIR = "/usr/share/fonts/opentype/noto"
FACES = {
    "NotoSansSC-Regular.otf": "NotoSansCJK-Regular.ttc",
    "NotoSansSC-Bold.otf": "NotoSansCJK-Bold.ttc",
}
# The fallback face: every hanzi of GBK that GB2312 lacks (names like 镕, 喆,
# 堃 and rarer place names), regular weight only. infotv reads its character
# map at start and parses its glyphs only when a screen needs one.
EXTRA_FACE = ("NotoSansSC-Extra.otf", "NotoSansCJK-Regular.ttc")
SC_INDEX = 2  # index of "Noto Sans CJK SC" inside the collections
TEXT_SUFFIXES = {".md", ".txt", ".toml", ".csv"}
# Marks the screens draw themselves: breadcrumb separator, arrows, bullets.
EXTRA = "›‹•·—–…“”‘’←↑→↓▲▼◆●○★☆√×÷°℃№、。，；：？！（）《》「」『』【】"


def gb2312():
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def gbk_extra():
    chars = set()
    for hi in range(0x81, 0xFF):
        for lo in range(0x40, 0xFF):
            try:
                c = bytes([hi, lo]).decode("gbk")
            except UnicodeDecodeError:
                continue
            if len(c) == 1 and 0x3400 <= ord(c) <= 0x9FFF:
                chars.add(c)
    return chars - gb2312()


def channel_chars(root):
    chars = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            chars.update(name)
        for name in filenames:
            if os.path.splitext(name)[1].lower() in TEXT_SUFFIXES:
                with open(os.path.join(dirpath, name), "rb") as f:
                    data = f.read()
                for enc in ("utf-8-sig", "gb18030"):
                    try:
                        chars.update(data.decode(enc))
                        break
                    except UnicodeDecodeError:
                        continue
    return chars


def main():
    channels = sys.argv[1] if len(sys.argv) > 1 else "channels"
    chars = {chr(c) for c in range(0x20, 0x7F)} | gb2312() | set(EXTRA)
    chars |= channel_chars(channels)
    # Keep printable characters and the spaces text uses (U+3000 indents Chinese).
    chars = {c for c in chars if c.isprintable() or c in " \u3000\u00a0"}
    unicodes = sorted(ord(c) for c in chars)
    out_dir = os.path.dirname(os.path.abspath(__file__))
    faces = [(name, ttc, unicodes) for name, ttc in FACES.items()]
    extra = sorted(ord(c) for c in gbk_extra() - chars)
    faces.append((EXTRA_FACE[0], EXTRA_FACE[1], extra))
    for out_name, ttc, unicodes in faces:
        font = TTCollection(os.path.join(SOURCE_DIR, ttc)).fonts[SC_INDEX]
        options = subset.Options()
        options.layout_features = ["kern", "palt", "halt"]
        options.hinting = False
        options.name_languages = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        path = os.path.join(out_dir, out_name)
        font.save(path)
        print(f"{out_name}: {len(unicodes)} characters, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
