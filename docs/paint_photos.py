#!/usr/bin/env python3
"""Paints the sample photos of the shipped channel.

No photo in channels/ is downloaded: every one is drawn here from noise,
gradients and shapes, so the project owns them outright. Run from the
repository root after changing a scene: python3 docs/paint_photos.py
(needs Pillow: pip install pillow). Output is deterministic (fixed seeds).
"""
import math
import os
import random

from PIL import Image, ImageDraw, ImageFilter

W, H = 1600, 1200


def ridge(rng, y0, amp, rough, n=9):
    """A mountain skyline by midpoint displacement: a list of (x, y) points."""
    pts = [y0 + rng.uniform(-amp, amp), y0 + rng.uniform(-amp, amp)]
    a = amp
    for _ in range(n):
        nxt = []
        for i in range(len(pts) - 1):
            nxt += [pts[i], (pts[i] + pts[i + 1]) / 2 + rng.uniform(-a, a)]
        nxt.append(pts[-1])
        pts = nxt
        a *= rough
    step = W / (len(pts) - 1)
    return [(i * step, y) for i, y in enumerate(pts)]


def sky(img, top, horizon, split=0.75):
    d = ImageDraw.Draw(img)
    for y in range(H):
        t = min(1.0, y / (H * split))
        d.line([(0, y), (W, y)], fill=tuple(int(top[i] + (horizon[i] - top[i]) * t) for i in range(3)))


def mountains(img, rng, layers, haze, base_y, spacing):
    for k, colour in enumerate(layers):
        pts = ridge(rng, base_y + k * spacing, 120 - k * 15, 0.55)
        layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        ImageDraw.Draw(layer).polygon(pts + [(W, H), (0, H)], fill=colour + (255,))
        img.alpha_composite(layer)
        if haze and k < len(layers) - 1:
            mist = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            md = ImageDraw.Draw(mist)
            y = base_y + k * spacing + 60
            md.rectangle([0, y, W, y + 90], fill=(235, 238, 242, haze))
            img.alpha_composite(mist.filter(ImageFilter.GaussianBlur(40)))


def clouds(img, rng, y, count, alpha):
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    for _ in range(count):
        cx, cy = rng.uniform(0, W), y + rng.uniform(-40, 40)
        for _ in range(6):
            r = rng.uniform(40, 110)
            ox, oy = rng.uniform(-120, 120), rng.uniform(-25, 25)
            d.ellipse([cx + ox - r, cy + oy - r * 0.6, cx + ox + r, cy + oy + r * 0.6], fill=(245, 246, 248, alpha))
    img.alpha_composite(layer.filter(ImageFilter.GaussianBlur(18)))


def sun(img, x, y, r, colour):
    glow = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(glow).ellipse([x - r * 3, y - r * 3, x + r * 3, y + r * 3], fill=colour + (90,))
    img.alpha_composite(glow.filter(ImageFilter.GaussianBlur(60)))
    ImageDraw.Draw(img).ellipse([x - r, y - r, x + r, y + r], fill=colour + (255,))


def grain(img, rng, amount=6):
    noise = Image.effect_noise((W, H), amount * 4).convert("RGB")
    return Image.blend(img.convert("RGB"), noise, 0.035)


def terraces(img, rng, top, colours):
    d = ImageDraw.Draw(img)
    for i in range(22):
        y = top + i * 26 + i * i * 0.8
        wobble = [(x, y + 18 * math.sin(x / 210 + i * 0.7)) for x in range(0, W + 40, 40)]
        for j in range(0, len(wobble) - 1):
            d.line([wobble[j], wobble[j + 1]], fill=colours[i % len(colours)], width=int(10 + i * 0.9))


def river(img, top):
    d = ImageDraw.Draw(img)
    for y in range(top, H, 2):
        t = (y - top) / (H - top)
        cx = W / 2 + 160 * math.sin(t * 4.0)
        half = 30 + 260 * t
        d.line([(cx - half, y), (cx + half, y)], fill=(int(96 + 40 * t), int(150 + 30 * t), int(160 + 20 * t)))


def scene(name, seed, paint):
    rng = random.Random(seed)
    img = Image.new("RGBA", (W, H))
    paint(img, rng)
    out = grain(img, rng)
    os.makedirs(os.path.dirname(name), exist_ok=True)
    out.save(name, quality=90)


def bataishan(img, rng):
    sky(img, (38, 70, 128), (236, 186, 140))
    sun(img, 1180, 420, 46, (255, 226, 170))
    mountains(img, rng, [(92, 98, 128), (62, 74, 104), (40, 52, 78)], 0, 520, 90)
    clouds(img, rng, 760, 26, 230)


def autumn(img, rng):
    sky(img, (84, 140, 196), (210, 226, 236))
    mountains(img, rng, [(150, 120, 110), (168, 96, 52), (120, 60, 36)], 60, 430, 150)
    d = ImageDraw.Draw(img)
    for _ in range(900):
        x, y = rng.uniform(0, W), rng.uniform(760, H)
        r = rng.uniform(6, 16)
        d.ellipse([x - r, y - r, x + r, y + r], fill=rng.choice([(196, 82, 40), (214, 142, 46), (150, 52, 36)]))


def tea(img, rng):
    sky(img, (120, 170, 210), (224, 234, 230))
    mountains(img, rng, [(120, 150, 150), (90, 130, 110)], 70, 380, 110)
    terraces(img, rng, 600, [(58, 120, 60), (84, 146, 70), (46, 100, 52)])


def gorge(img, rng):
    sky(img, (150, 190, 214), (226, 236, 238), 0.4)
    mountains(img, rng, [(70, 104, 84), (50, 84, 62)], 40, 200, 120)
    d = ImageDraw.Draw(img)
    d.polygon([(0, 0), (520, 0), (640, H), (0, H)], fill=(44, 70, 54))
    d.polygon([(W, 0), (1080, 0), (960, H), (W, H)], fill=(38, 62, 48))
    river(img, 520)


def memorial(img, rng):
    sky(img, (70, 120, 190), (214, 228, 240))
    mountains(img, rng, [(110, 136, 150), (80, 112, 104)], 40, 620, 110)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 980, W, H], fill=(150, 150, 146))
    for i in range(6):
        d.rectangle([560 - i * 30, 980 - i * 22, 1040 + i * 30, 1000 - i * 22], fill=(186, 180, 170))
    d.polygon([(760, 260), (840, 260), (870, 860), (730, 860)], fill=(226, 222, 214))
    d.polygon([(760, 260), (800, 200), (840, 260)], fill=(214, 208, 198))
    d.rectangle([740, 540, 860, 580], fill=(170, 44, 40))
    for x in (420, 1180):
        d.ellipse([x - 90, 700, x + 90, 900], fill=(46, 96, 58))
        d.rectangle([x - 10, 880, x + 10, 980], fill=(80, 60, 44))


def town(img, rng):
    sky(img, (46, 60, 110), (226, 140, 96))
    sun(img, 400, 560, 40, (255, 210, 150))
    mountains(img, rng, [(84, 80, 110), (58, 60, 88)], 0, 520, 110)
    d = ImageDraw.Draw(img)
    x = 0
    while x < W:
        w, h = rng.uniform(60, 140), rng.uniform(80, 340)
        d.rectangle([x, 980 - h, x + w, H], fill=(52, 54, 72))
        for wy in range(int(1000 - h), 970, 34):
            for wx in range(int(x + 10), int(x + w - 16), 26):
                if rng.random() < 0.45:
                    d.rectangle([wx, wy, wx + 12, wy + 16], fill=(250, 214, 140))
        x += w + rng.uniform(4, 20)
    d.rectangle([0, 980, W, H], fill=(40, 44, 60))


SCENES = {
    "channels/02-印象万源/07-万源影像/01-巴山秀城夜色.jpg": (11, town),
    "channels/02-印象万源/07-万源影像/02-红军公园纪念碑.jpg": (12, memorial),
    "channels/02-印象万源/07-万源影像/03-富硒茶园.jpg": (13, tea),
    "channels/08-畅游万源/06-美景图集/01-八台山云海日出.jpg": (21, bataishan),
    "channels/08-畅游万源/06-美景图集/02-龙潭河峡谷.jpg": (22, gorge),
    "channels/08-畅游万源/06-美景图集/03-秋染巴山.jpg": (23, autumn),
    "channels/08-畅游万源/01-景区介绍/独秀峰.jpg": (24, bataishan),
}

if __name__ == "__main__":
    for path, (seed, paint) in SCENES.items():
        scene(path, seed, paint)
        print(path, os.path.getsize(path))
