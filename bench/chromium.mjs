// The Chromium side of the per-screen comparison (bench/render_ratio.sh):
// Debian's headless Chromium, driven by playwright-core, draws article pages
// like infotv's — 720x576, a title bar, about 400 characters of the shipped
// channel's own articles in the same Noto Sans SC faces, a footer — and
// encodes each to PNG, as infotv does. Warm: one browser and one page,
// each article's text swapped in and screenshotted; cold: a browser started
// for one page.
//
// Usage: node bench/chromium.mjs PAGES [SAVE.png]  →  one JSON line:
//   {"warm_ms": [...per page], "cold_ms": N}; SAVE.png keeps the last page.
// playwright-core as the browser tests install it (npm ci in tests/browser).
import { chromium } from '../tests/browser/node_modules/playwright-core/index.mjs';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const root = resolve(new URL('..', import.meta.url).pathname);
const pages = Number(process.argv[2] || 20);

// Articles of the shipped channel: front matter dropped, the text cut to
// what one SD page of infotv holds (~400 characters).
function articles(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) articles(path, out);
    else if (name.endsWith('.md')) {
      const text = readFileSync(path, 'utf8');
      const title = (text.match(/^title\s*=\s*"(.*)"/m) || [, name.replace(/\.md$/, '')])[1];
      const body = text.replace(/^\+\+\+[\s\S]*?\+\+\+/, '').replace(/[#*>`|-]/g, '').replace(/\s+/g, '');
      if (body.length >= 200) out.push({ title, body: body.slice(0, 400) });
    }
  }
  return out;
}
const all = articles(join(root, 'channels'));
if (all.length === 0) throw new Error('no articles found under channels/');

const font = (file) => 'file://' + join(root, 'fonts', file);
const dir = mkdtempSync(join(tmpdir(), 'infotv-chromium-'));
const html = join(dir, 'page.html');
writeFileSync(html, `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
@font-face { font-family: NotoSC; src: url(${font('NotoSansSC-Regular.otf')}); font-weight: 400; }
@font-face { font-family: NotoSC; src: url(${font('NotoSansSC-Bold.otf')}); font-weight: 700; }
html, body { margin: 0; width: 720px; height: 576px; overflow: hidden; background: #0d2c54; font-family: NotoSC; }
header { position: absolute; left: 36px; right: 36px; top: 29px; height: 64px; border-radius: 10px;
  background: linear-gradient(#1c5fa8, #124a87); color: #ffd76a; font: 700 32px/64px NotoSC; padding: 0 20px; }
main { position: absolute; left: 36px; right: 36px; top: 110px; height: 380px; border-radius: 10px; background: #f4f1e8;
  color: #1a1a1a; font: 400 24px/38px NotoSC; padding: 14px 22px; text-align: justify; box-sizing: border-box;
  overflow: hidden; }
footer { position: absolute; left: 36px; right: 36px; top: 505px; height: 42px; color: #ffffff; font: 400 22px/42px NotoSC; }
</style></head><body><header id="t"></header><main id="b"></main><footer>← 返回　OK 确定　▲▼ 翻页　第 1/2 页</footer></body></html>`);

async function draw(page, article) {
  await page.evaluate(({ title, body }) => {
    document.getElementById('t').textContent = title;
    document.getElementById('b').textContent = body;
  }, article);
  await page.evaluate(() => document.fonts.ready);
  return page.screenshot({ type: 'png' });
}

const launch = () => chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const open = async (browser) => {
  const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
  await page.goto('file://' + html);
  return page;
};

// Cold: from launching the browser to the first page's PNG.
let t = performance.now();
let browser = await launch();
await draw(await open(browser), all[0]);
const cold = performance.now() - t;
await browser.close();

// Warm: the same browser and page for every article.
browser = await launch();
const page = await open(browser);
await draw(page, all[all.length - 1]);
const warm = [];
for (let i = 0; i < pages; i++) {
  t = performance.now();
  const png = await draw(page, all[i % all.length]);
  warm.push(performance.now() - t);
  if (png.length < 10_000) throw new Error(`page ${i}: a ${png.length}-byte PNG is no page`);
  if (i === pages - 1 && process.argv[3]) writeFileSync(process.argv[3], png);
}
await browser.close();
console.log(JSON.stringify({ warm_ms: warm, cold_ms: cold }));
