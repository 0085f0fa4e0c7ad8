// Walks the whole channel in real headless Chromium with the keys alone:
// every column by its digit, every sub-item by arrows and OK, every page of
// what it opens by right, and back up again, checking where each key lands.
//
// Usage: node walk.mjs BASE_URL [SCREENSHOT_DIR]
import { fail, launch } from './chromium.mjs';

const base = process.argv[2];
const shots = process.argv[3];

const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
const screens = graph.screens;
const parse = (t) => { const i = t.lastIndexOf('#'); return [t.slice(0, i), Number(t.slice(i + 1))]; };

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

// Where the box is: the screen from the URL, the focus from the shell's script.
async function where() {
  const id = new URL(page.url()).pathname.split('/').pop().replace(/\.html$/, '');
  const f = await page.evaluate('F');
  return [id, f];
}

async function expectAt(id, f, why) {
  const [sid, sf] = await where();
  if (sid !== id || sf !== f) fail(`${why}: expected ${id}#${f}, at ${sid}#${sf}`);
  const ok = await page.evaluate(() => {
    const b = document.getElementById('b');
    return b.complete && b.naturalWidth === 720 && b.naturalHeight === 576;
  });
  if (!ok) fail(`${why}: the screen picture of ${id} did not load at 720x576`);
  const st = screens[id].states[f];
  if (st.focus) {
    const pos = await page.evaluate(() => {
      const e = document.getElementById('f');
      return [e.style.left, e.style.top, e.style.visibility, e.complete && e.naturalWidth];
    });
    if (pos[0] !== `${st.focus.x}px` || pos[1] !== `${st.focus.y}px` || pos[2] === 'hidden' || !pos[3]) {
      fail(`${why}: focus of ${id}#${f} not drawn at ${st.focus.x},${st.focus.y}: ${pos}`);
    }
  }
}

const KEYNAME = { up: 'ArrowUp', down: 'ArrowDown', left: 'ArrowLeft', right: 'ArrowRight', ok: 'Enter',
                  back: 'Backspace', pageup: 'PageUp', pagedown: 'PageDown' };
for (let d = 0; d <= 9; d++) KEYNAME[String(d)] = String(d);

// Presses `key` where the box is and checks it lands where the graph says.
async function press(key) {
  const [id, f] = await where();
  const target = screens[id].states[f].keys[key];
  if (!target) fail(`no ${key} on ${id}#${f}`);
  const [tid, tf] = parse(target);
  if (tid === id) {
    await page.keyboard.press(KEYNAME[key]);
  } else {
    await Promise.all([page.waitForURL((u) => u.pathname.endsWith(`/${tid}.html`)), page.keyboard.press(KEYNAME[key])]);
    await page.waitForLoadState('load');
  }
  await expectAt(tid, tf, `${key} on ${id}#${f}`);
  return [tid, tf];
}

// The arrow and page keys that lead from the current state to (id, f).
function route(fromId, fromF, id, f) {
  const seen = new Set([`${fromId}#${fromF}`]);
  const queue = [[fromId, fromF, []]];
  while (queue.length) {
    const [sid, sf, path] = queue.shift();
    if (sid === id && sf === f) return path;
    for (const key of ['up', 'down', 'left', 'right', 'pagedown', 'pageup']) {
      const t = screens[sid].states[sf].keys[key];
      if (!t || seen.has(t)) continue;
      seen.add(t);
      const [tid, tf] = parse(t);
      queue.push([tid, tf, [...path, key]]);
    }
  }
  fail(`no way from ${fromId}#${fromF} to ${id}#${f}`);
}

async function goTo(id, f) {
  const [sid, sf] = await where();
  for (const key of route(sid, sf, id, f)) await press(key);
}

// Reads an article from its first page to its last with the right key.
async function readArticle() {
  let [id] = await where();
  let pages = 1;
  while (screens[id].states[0].keys.right) {
    [id] = await press('right');
    pages++;
  }
  if (pages > 1 && !/第 \d+\/\d+ [页张]/.test(JSON.stringify(await (await fetch(`${base}/api/v1/sd/screens/${id}.json`)).json()))) {
    fail(`${id}: a paged article shows no page number`);
  }
  return pages;
}

await page.goto(`${base}/`);
await page.waitForLoadState('load');
await expectAt('home', 0, 'start');
if (shots) await page.screenshot({ path: `${shots}/home-sd.png` });
const homeText = JSON.stringify(await (await fetch(`${base}/api/v1/sd/screens/home.json`)).json());
for (const title of ['要闻速递', '印象万源', '先锋万源', '廉洁万源', '阳光万源', '奔康万源', '便民万源', '畅游万源', '平安万源']) {
  if (!homeText.includes(title)) fail(`home does not show ${title}`);
}

let subItems = 0, articlePages = 0;
for (let c = 1; c <= 9; c++) {
  const [columnId] = await press(String(c));
  const tiles = screens[columnId].states.length;
  for (let i = 0; i < tiles; i++) {
    await goTo(columnId, i);
    let [id] = await press('ok');
    if (screens[id].kind === 'list') {
      const rows = screens[id].states.length;
      for (let r = 0; r < rows && screens[id].states[r].focus; r++) {
        await goTo(id, r);
        const [opened] = await press('ok');
        // A poll or a rating is answered elsewhere (answers.mjs): here it only has to open.
        if (screens[opened].kind !== 'poll') articlePages += await readArticle();
        await press('back');
      }
      await press('back');
    } else {
      // Places: down to the first village, read it, and back up.
      let depth = 0;
      while (screens[id].kind === 'places' || (depth > 0 && screens[id].kind === 'list')) {
        [id] = await press('ok');
        depth++;
      }
      if (!['article', 'table', 'gallery', 'request'].includes(screens[id].kind)) fail(`tile ${i} of ${columnId} opens a ${screens[id].kind}`);
      if (screens[id].kind !== 'request') articlePages += await readArticle();
      for (let d = 0; d < depth; d++) await press('back');
      await press('back');
    }
    subItems++;
  }
  await press('back');
  await expectAt('home', c - 1, `back from column ${c}`);
}
// Back on the start screen does nothing: the box is never stranded outside the channel.
await page.keyboard.press('Backspace');
await expectAt('home', 8, 'back on home');

const tiles = Object.values(screens).filter((s) => s.kind === 'column').reduce((n, s) => n + s.states.length, 0);
if (subItems !== tiles) fail(`walked ${subItems} of ${tiles} sub-items`);
await browser.close();
if (errors.length) fail(`script errors: ${errors.join('; ')}`);
console.log(`walked ${subItems} sub-items and ${articlePages} article pages with the keys alone`);
