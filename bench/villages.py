#!/usr/bin/env python3
"""Writes a 村务公开 tree of townships and villages: per village a quarterly
三资 (funds, assets, resources) table and a notice. The township names are
Wanyuan's (public facts); village names are made up from common parts and
every figure is a sample, and says so.

The shipped channel's 阳光万源/02-村务“三资”公开 was made with
    bench/villages.py channels/05-阳光万源/02-村务“三资”公开 24
and the big channel of bench/ uses it with more townships.

Usage: bench/villages.py FOLDER TOWNSHIPS [VILLAGES_EACH (default: 5-9, varying)]
"""
import os, random, sys

TOWNSHIPS = [
    "太平镇", "青花镇", "旧院镇", "罗文镇", "河口镇", "草坝镇", "竹峪镇", "大竹镇", "黄钟镇", "官渡镇",
    "白沙镇", "沙滩镇", "茶垭乡", "长石乡", "白羊乡", "铁矿乡", "固军乡", "井溪乡", "堰塘乡", "蜂桶乡",
    "花楼乡", "长坝乡", "曾家乡", "大沙乡", "秦河乡", "庙垭乡", "鹰背乡", "石窝乡", "玉带乡", "新店乡",
    "魏家乡", "柳黄乡", "溪口乡", "永宁乡", "虹桥乡", "康乐乡", "白果乡", "钟亭乡", "庙子乡", "紫溪乡",
]
PARTS = [
    "石桥", "青龙", "白岩", "黄坪", "红旗", "新华", "柏树", "桂花", "茶园", "龙潭", "金竹", "大河", "田坝",
    "松林", "马鞍", "凤凰", "梨园", "水井", "枣树", "杨柳", "观音", "高峰", "双河", "长岭", "桃园", "竹林",
    "三合", "五星", "向阳", "和平", "光明", "团结", "胜利", "联合", "花园", "油坊", "岩口", "天池", "白果",
    "核桃", "银杏", "清泉", "月亮", "太阳", "红岩", "铁佛", "石门", "锣鼓", "庙坪", "回龙",
]
INCOME = [("上级转移支付资金", 20000, 80000), ("集体资产租赁收入", 3000, 20000), ("茶园承包费", 2000, 15000),
          ("光伏发电收益", 1500, 9000), ("村集体经济分红", 5000, 30000)]
SPENDING = [("村组道路维修", 3000, 25000), ("村办公经费", 800, 4000), ("人居环境整治", 2000, 12000),
            ("困难群众临时救助", 500, 3000), ("饮水管网维护", 1000, 8000), ("公益岗位补贴", 1200, 6000)]
CLERKS = ["村报账员", "村会计", "村委会主任", "村务监督委员会"]


def villages(rng, n):
    names = rng.sample(PARTS, n)
    return [f"{p}村" for p in names]


def table(rng, village):
    rows = ["日期,摘要,收入（元）,支出（元）,经办人"]
    days = sorted(rng.sample(range(1, 92), 7))
    for d in days:
        month, day = 7 + (d - 1) // 31, (d - 1) % 31 + 1
        day = min(day, 30)
        if rng.random() < 0.4:
            what, lo, hi = rng.choice(INCOME)
            money = (f"{rng.randrange(lo, hi, 100):.2f}", "")
        else:
            what, lo, hi = rng.choice(SPENDING)
            money = ("", f"{rng.randrange(lo, hi, 10):.2f}")
        rows.append(f"2026-{month:02d}-{day:02d},{what},{money[0]},{money[1]},{rng.choice(CLERKS)}")
    return "\n".join(rows) + "\n"


def notice(rng, township, village):
    day = rng.randrange(3, 28)
    topic = rng.choice([
        ("召开村民代表会议的通知", f"定于 2026 年 12 月 {day} 日上午 9 点在{village}村委会会议室召开村民代表会议，"
         "审议第三季度“三资”收支情况和明年村级公益事业建设计划。请各位代表按时参加。"),
        ("第三季度“三资”公开的说明", f"{village}第三季度村集体资金收支明细已张贴在村务公开栏，"
         "并在本频道同步公开。群众如有疑问，可在公开之日起十五日内向村务监督委员会反映。"),
        ("冬季防火和用电安全提醒", f"进入冬季，{township}{village}请各家各户注意火塘、电热毯和取暖器的使用安全，"
         "出门前断电熄火，不在林区用火。发现火情请立即拨打 119 或告知村干部。"),
    ])
    return f"# {village}{topic[0]}\n\n{topic[1]}\n\n{village}村民委员会\n\n（本频道示例内容，数据为样例。）\n"


def main():
    folder, count = sys.argv[1], int(sys.argv[2])
    each = int(sys.argv[3]) if len(sys.argv) > 3 else None
    rng = random.Random(20261201)
    total = 0
    for t, township in enumerate(TOWNSHIPS[:count]):
        n = each or (12 if t == 0 else rng.randrange(5, 10))
        tdir = os.path.join(folder, f"{t + 1:02d}-{township}")
        for v, village in enumerate(villages(rng, n)):
            vdir = os.path.join(tdir, f"{v + 1:02d}-{village}")
            os.makedirs(vdir, exist_ok=True)
            with open(os.path.join(vdir, "2026-10-15-第三季度三资收支明细（样例）.csv"), "w") as f:
                f.write(table(rng, village))
            with open(os.path.join(vdir, "2026-11-20-村务公告.md"), "w") as f:
                f.write(notice(rng, township, village))
            total += 1
    print(f"{count} townships, {total} villages in {folder}")


if __name__ == "__main__":
    main()
