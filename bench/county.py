#!/usr/bin/env python3
"""Writes a county-scale channel: the shipped channel, and on top of it every
township and village of a county with a year of documents each, a news desk
of thousands of articles, and galleries of pictures drawn here. At the
default scale it lays out to about 20,000 screens per profile; the tests
use a small scale (about 2,000).

Every text is made up from the parts below, every figure is a sample and
says so, every picture is drawn by this script.

Usage: bench/county.py OUT [SCALE (default 1.0)]
"""
import os, random, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import villages  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED = os.path.join(HERE, "..", "channels")

OPENINGS = ["近日，", "本周，", "日前，", "为进一步做好民生服务，", "按照全市统一部署，", "入冬以来，"]
SUBJECTS = ["市农业农村局", "市交通运输局", "市卫生健康局", "市人社局", "各乡镇便民服务中心", "市应急管理局",
            "市市场监管局", "市文广旅局", "市医保局", "市自然资源局"]
ACTIONS = ["组织开展了专项行动", "召开了工作推进会", "完成了阶段性任务", "启动了入户走访", "发布了服务指南",
           "开展了集中宣传", "组织了技术培训", "推进了项目建设"]
DETAILS = [
    "工作人员深入村组，逐户了解群众需求，现场解答政策问题。",
    "活动共发放宣传资料一千余份，受益群众覆盖全市各乡镇。",
    "下一步将建立工作台账，明确责任人和完成时限，确保各项措施落到实处。",
    "群众可通过便民服务窗口或拨打服务热线咨询办理。",
    "此次工作重点围绕道路、饮水、用电和通信等基础设施展开。",
    "参加培训的农户表示，学到的技术马上就能用到自家茶园和果园里。",
    "相关部门将持续跟踪，定期通报进展情况，接受群众监督。",
    "本频道将对后续进展进行报道。",
]
DIBAO = ["户主,人口,类别,月保障金（元）,备注"]
KINDS = ["一类", "二类", "三类"]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"


def article(rng, title):
    paragraphs = []
    for _ in range(rng.randrange(2, 6)):
        paragraphs.append(rng.choice(OPENINGS) + rng.choice(SUBJECTS) + rng.choice(ACTIONS) + "。"
                          + "".join(rng.sample(DETAILS, rng.randrange(1, 4))))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n\n（本频道示例内容。）\n"


def dibao(rng):
    rows = list(DIBAO)
    for _ in range(rng.randrange(4, 12)):
        name = rng.choice(SURNAMES) + "某某"
        rows.append(f"{name},{rng.randrange(1, 6)},{rng.choice(KINDS)},{rng.randrange(300, 900, 10)},样例")
    return "\n".join(rows) + "\n"


def picture(rng, path, w=1280, h=720):
    """A landscape drawn from bands of hills under a sky: no two alike.
    Without Pillow (a bare CI machine), one of the shipped photos instead."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        shipped = sorted(os.path.join(d, f) for d, _, fs in os.walk(SHIPPED) for f in fs if f.endswith(".jpg"))
        shutil.copy(rng.choice(shipped), path)
        return
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    top, bottom = [rng.randrange(60, 200) for _ in range(3)], [rng.randrange(150, 255) for _ in range(3)]
    for y in range(h):
        t = y / h
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    for band in range(4):
        base = h * (0.45 + band * 0.13)
        points = [(0, h)]
        for x in range(0, w + 80, 80):
            points.append((x, base + rng.randrange(-60, 60)))
        points.append((w, h))
        g = 60 + band * 30
        d.polygon(points, fill=(rng.randrange(20, 80), g + rng.randrange(0, 40), rng.randrange(30, 90)))
    img.save(path, quality=85)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    out = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    rng = random.Random(20261202)
    if os.path.exists(out):
        shutil.rmtree(out)
    shutil.copytree(SHIPPED, out)

    # Every township (at full scale) and its villages, with a year of documents each.
    places = os.path.join(out, "05-阳光万源", "02-村务“三资”公开")
    shutil.rmtree(places)
    townships = max(2, round(40 * scale))
    docs = 0
    for t in range(townships):
        township = villages.TOWNSHIPS[t % len(villages.TOWNSHIPS)] + ("" if t < 40 else f"{t // 40 + 1}")
        n = rng.randrange(6, 13) if scale >= 0.5 else 3
        for v, village in enumerate(villages.villages(rng, n)):
            vdir = os.path.join(places, f"{t + 1:02d}-{township}", f"{v + 1:02d}-{village}")
            for q, month in enumerate((1, 4, 7, 10)):
                write(os.path.join(vdir, f"2026-{month:02d}-15-第{'一二三四'[q]}季度三资收支明细（样例）.csv"),
                      villages.table(rng, village))
            write(os.path.join(vdir, "2026-06-30-低保对象公示（样例）.csv"), dibao(rng))
            for k in range(max(1, round(14 * min(scale, 1.0)))):
                write(os.path.join(vdir, f"2026-{k % 12 + 1:02d}-{rng.randrange(1, 28):02d}-村务公告{k + 1}.md"),
                      villages.notice(rng, township, village))
            docs += 5 + max(1, round(14 * min(scale, 1.0)))

    # A news desk: each sub-item of 要闻速递, 先锋万源 and 廉洁万源 gets a year of articles.
    desks = [os.path.join(out, c, s) for c in ("01-要闻速递", "03-先锋万源", "04-廉洁万源")
             for s in sorted(os.listdir(os.path.join(out, c))) if os.path.isdir(os.path.join(out, c, s))]
    per_desk = round(260 * scale)
    for desk in desks:
        for k in range(per_desk):
            title = f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}（第{k + 1}期）"
            write(os.path.join(desk, f"2026-{k % 12 + 1:02d}-{k % 28 + 1:02d}-动态{k + 1:04d}.md"), article(rng, title))
            docs += 1

    # Galleries of pictures drawn here.
    gallery_root = os.path.join(out, "08-畅游万源")
    for g in range(max(1, round(12 * scale))):
        gdir = os.path.join(gallery_root, f"{10 + g:02d}-乡村影像{g + 1}")
        os.makedirs(gdir, exist_ok=True)
        for k in range(24):
            picture(rng, os.path.join(gdir, f"{k + 1:02d}-村景{k + 1}.jpg"), 960, 540)
            docs += 1
    print(f"{out}: {townships} townships, {docs} generated documents and pictures (scale {scale})")


if __name__ == "__main__":
    main()
