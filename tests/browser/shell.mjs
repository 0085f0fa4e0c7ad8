// Drives the shell the way boxes send keys, in real headless Chromium at both
// profile sizes: DOM keys, iPanel codes (1–4, 13, 340), HbbTV back (461) and
// a site.toml code (283 → back), digits entered like channel numbers, and an
// alert that arrives, is acknowledged, and clears.
//
// Usage: node shell.mjs BASE_URL CHANNEL_DIR
import { fail, launch } from './chromium.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [base, channel] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await launch();
const errors = [];

async function run(profile, width, height) {
  const graph = await (await fetch(`${base}/api/v1/${profile}/graph.json`)).json();
  const screens = graph.screens;
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('pageerror', (e) => errors.push(`${profile}: ${e}`));
  const where = async () => [new URL(page.url()).pathname.split('/').pop().replace('.html', ''), await page.evaluate('F')];
  const visible = (id) => page.evaluate((i) => document.getElementById(i).style.visibility === 'visible', id);
  // A key as a box delivers it: a keydown event whose keyCode is the box's code.
  const code = (c, type = 'keydown') => page.evaluate(([c, type]) => {
    const e = document.createEvent('Event');
    e.initEvent(type, true, true);
    Object.defineProperty(e, 'keyCode', { get: () => c });
    document.dispatchEvent(e);
  }, [c, type]);
  const navigates = async (act, id) => {
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith(`/${id}.html`)), act()]);
    await page.waitForLoadState('load');
  };
  const expect = async (id, f, why) => {
    const [sid, sf] = await where();
    if (sid !== id || sf !== f) fail(`${profile} ${why}: expected ${id}#${f}, at ${sid}#${sf}`);
  };

  await page.goto(`${base}/tv/${profile}/home.html`);
  await page.evaluate('window.__stay = 1');
  // The clock appears once the first poll has given the server's time.
  await page.waitForFunction(() => document.getElementById('c0').style.visibility === 'visible', null, { timeout: 10000 });
  // So does the date before it: today in the channel's zone, as the server
  // tells it, drawn glyph by glyph from pictures that loaded, ending a gap
  // before the clock.
  const gen = await (await fetch(`${base}/api/v1/generation`)).json();
  const today = new Date(gen.time + gen.utc_offset * 60000);
  const want = `${today.getUTCFullYear()}年${today.getUTCMonth() + 1}月${today.getUTCDate()}日星期${'日一二三四五六'[today.getUTCDay()]}`;
  const drawn = await page.evaluate(() => {
    const names = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '年', '月', '日', '星期', '一', '二', '三', '四', '五', '六'];
    const srcs = DT.g.map((g) => g[0]);
    const glyphs = [];
    for (let k = 0; k < 13; k++) {
      const e = document.getElementById(`d${k}`);
      if (e.style.visibility !== 'visible') continue;
      glyphs.push({ name: names[srcs.indexOf(new URL(e.src).pathname)], x: parseInt(e.style.left, 10), w: parseInt(e.style.width, 10), loaded: e.complete && e.naturalWidth === parseInt(e.style.width, 10) });
    }
    return { glyphs, right: DT.x, space: DT.s, clock: C.x };
  });
  const text = drawn.glyphs.map((g) => g.name).join('');
  if (text !== want) fail(`${profile}: the header's date reads ${text}, expected ${want}`);
  drawn.glyphs.forEach((g, k) => {
    if (!g.loaded) fail(`${profile}: date glyph ${g.name} did not load`);
    const next = k + 1 < drawn.glyphs.length ? drawn.glyphs[k + 1].x : drawn.right;
    const gap = drawn.glyphs[k + 1]?.name === '星期' ? drawn.space : 0;
    if (g.x + g.w + gap !== next) fail(`${profile}: date glyph ${g.name} at ${g.x}+${g.w}, the next at ${next}`);
  });
  if (!(drawn.right < drawn.clock)) fail(`${profile}: the date (to ${drawn.right}) runs into the clock (at ${drawn.clock})`);

  // Focus moves need no request: the page (and its marker) stays.
  await page.keyboard.press('ArrowRight');
  await expect('home', 1, 'DOM right');
  await code(2); await expect('home', 3, 'iPanel down (2)');
  await code(4); await expect('home', 3, 'iPanel right (4) at the row end');
  await code(1); await expect('home', 0, 'iPanel up (1)');
  await code(4); await expect('home', 1, 'iPanel right (4)');
  if (await page.evaluate('window.__stay') !== 1) fail(`${profile}: focus moves reloaded the page`);
  // A keypress following the keydown of one press is not a second press.
  await code(4); await code(4, 'keypress');
  await expect('home', 2, 'keydown + keypress of one press');

  // OK by iPanel code 13, back by HbbTV 461: back restores the focus.
  const column = screens.home.states[2].keys.ok.split('#')[0];
  await navigates(() => code(13), column);
  await navigates(() => code(461), 'home');
  await expect('home', 2, 'HbbTV back (461) restores the focus');
  // iPanel back 340, DOM Backspace and the site.toml code 283.
  const first = screens.home.states[0].keys.ok.split('#')[0];
  for (const [label, back] of [['iPanel 340', () => code(340)], ['Backspace', () => page.keyboard.press('Backspace')], ['site.toml 283', () => code(283)]]) {
    await navigates(() => page.keyboard.press('1'), first);
    await expect(first, 0, `digit 1 opens the first column after a pause (before ${label})`);
    await navigates(back, 'home');
    await expect('home', 0, `${label} goes back`);
  }

  // Digits: shown as typed, three digits commit at once, an unknown number says so.
  const [n3, t3] = Object.entries(graph.numbers).find(([n]) => n.length === 3);
  await page.keyboard.press(n3[0]);
  if (!(await visible('e')) || !(await visible('e0'))) fail(`${profile}: typed digit not shown`);
  await page.keyboard.press(n3[1]);
  await navigates(() => page.keyboard.press(n3[2]), t3.split('#')[0]);
  await page.keyboard.press('9'); await page.keyboard.press('9'); await page.keyboard.press('9');
  await page.waitForTimeout(100);
  if (!(await visible('nw'))) fail(`${profile}: 999 does not say there is no such page`);
  await page.waitForTimeout(2700);
  if (await visible('nw')) fail(`${profile}: the no-such-page notice stays`);
  await page.close();
}

// A carousel moves on by itself, and any key pauses it.
async function carousel() {
  const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
  const [id, s] = Object.entries(graph.screens).find(([, s]) => s.carousel);
  const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
  page.on('pageerror', (e) => errors.push(`carousel: ${e}`));
  await page.goto(`${base}/tv/sd/${id}.html`);
  const next = s.carousel.next.split('#')[0];
  await page.waitForURL((u) => u.pathname.endsWith(`/${next}.html`), { timeout: (s.carousel.seconds + 5) * 1000 });
  await page.waitForLoadState('load');
  await page.keyboard.press('PageUp');
  const here = page.url();
  await page.waitForTimeout((graph.screens[next].carousel.seconds + 1.5) * 1000);
  if (page.url() !== here) fail('a key did not pause the carousel');
  await page.close();
}
await carousel();

// New content: a box reloads only when its own screen changed.
async function follows() {
  const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
  const [id] = Object.entries(graph.screens).find(([, s]) => s.title === '通知');
  const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
  page.on('pageerror', (e) => errors.push(`follows: ${e}`));
  await page.goto(`${base}/tv/sd/${id}.html`);
  await page.evaluate('window.__stay = 1');
  const generation = async () => (await (await fetch(`${base}/api/v1/generation`)).json()).generation;
  const before = await generation();
  fs.writeFileSync(path.join(channel, '01-第一栏目/02-乙项/2026-11-27-别处的新消息.md'), '别处的正文。\n');
  for (let i = 0; i < 150 && (await generation()) === before; i++) await sleep(100);
  if ((await generation()) === before) fail('the new file never went on air');
  await page.waitForTimeout(2500);
  if ((await page.evaluate('window.__stay')) !== 1) fail('a change elsewhere reloaded this screen');
  fs.writeFileSync(path.join(channel, '02-第二栏目/01-只有一篇/通知.txt'), '改过的通知。\n');
  await page.waitForFunction(() => window.__stay === undefined, null, { timeout: 20000 })
    .catch(() => fail('a change of this screen did not reach the box'));
  await page.close();
}
await follows();

// A shell names no generation: a box whose shell is older than a generation
// that went on air moments ago checks its screen once on its first poll.
async function young() {
  const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
  const [id] = Object.entries(graph.screens).find(([, s]) => s.title === '通知');
  const url = `${base}/tv/sd/${id}.html`;
  const old = await (await fetch(url)).text();
  const generation = async () => (await (await fetch(`${base}/api/v1/generation`)).json()).generation;
  const before = await generation();
  fs.writeFileSync(path.join(channel, '02-第二栏目/01-只有一篇/通知.txt'), '又改过的通知。\n');
  for (let i = 0; i < 150 && (await generation()) === before; i++) await sleep(100);
  if ((await generation()) === before) fail('the changed notice never went on air');
  const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
  page.on('pageerror', (e) => errors.push(`young: ${e}`));
  let loads = 0;
  await page.route(`${url}*`, (route) => {
    if (!route.request().isNavigationRequest()) return route.continue();
    return loads++ === 0
      ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: old })
      : route.continue();
  });
  await page.goto(url);
  for (let i = 0; i < 100 && loads < 2; i++) await sleep(100);
  if (loads < 2) fail('an old shell under a young generation was not checked and reloaded');
  await page.close();
}
await young();

// The check of a young generation asks about the state the page was loaded
// with: a box that moved its focus before the first poll answered is not
// reloaded (it was, with the shell of the state it moved to).
async function movedFirst() {
  const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
  page.on('pageerror', (e) => errors.push(`movedFirst: ${e}`));
  await page.route(`${base}/api/v1/generation`, async (route) => {
    await sleep(600);
    await route.continue();
  });
  await page.goto(`${base}/tv/sd/home.html`);
  await page.evaluate('window.__stay = 1');
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(2500);
  if ((await page.evaluate('window.__stay')) !== 1) fail('moving the focus before the first poll reloaded the screen');
  if ((await page.evaluate('F')) === 0) fail('the arrow did not move the focus');
  await page.close();
}
await movedFirst();

await run('sd', 720, 576);
await run('hd', 1280, 720);

// The alert: arrives on a box nobody touches, OK acknowledges it (and it stays
// acknowledged on the next screen), a new alert shows again, and removing the
// file clears it.
const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
page.on('pageerror', (e) => errors.push(`alert: ${e}`));
await page.goto(`${base}/tv/sd/home.html`);
const shown = () => page.evaluate(() => document.getElementById('al').style.visibility === 'visible');
const waitShown = (want, why) => page.waitForFunction((w) => (document.getElementById('al').style.visibility === 'visible') === w, want, { timeout: 30000 })
  .catch(() => fail(`alert ${why}`));
const alertFile = path.join(channel, 'alert.txt');
fs.writeFileSync(alertFile, '暴雨红色预警：今夜有大暴雨，请勿前往河边和山坡。\n');
await waitShown(true, 'never arrived');
await page.keyboard.press('ArrowRight');
if ((await page.evaluate('F')) !== 0) fail('keys other than OK pass through the alert');
await page.keyboard.press('Enter');
if (await shown()) fail('OK did not acknowledge the alert');
await page.reload();
await page.waitForTimeout(1500);
if (await shown()) fail('an acknowledged alert came back');
await sleep(1100); // a new file time: a new alert
fs.writeFileSync(alertFile, '第二条通知：明日停水。\n');
await waitShown(true, 'second alert never arrived');
fs.unlinkSync(alertFile);
await waitShown(false, 'stayed after its file was removed');
await browser.close();

if (errors.length) fail(`script errors: ${errors.join('; ')}`);
console.log('shell: DOM, iPanel, HbbTV and site.toml codes; digits; alert — all as expected');
