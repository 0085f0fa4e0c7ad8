// 查询 with the remote in real headless Chromium at 720x576, with DOM keys
// and iPanel codes: 0 from any screen opens it, digits type (0, 3, 2 finds
// 低保公示), OK opens a result, back returns to the same results with the
// focus kept, left takes a digit back, back on the empty query returns to
// the screen 0 was pressed on; a village found by its initials opens the
// village's screen.
//
// Usage: node search.mjs BASE_URL
import { fail, launch } from './chromium.mjs';

const [base] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
page.on('pageerror', (e) => errors.push(`${e}`));
const where = async () => [new URL(page.url()).pathname.split('/').pop().replace('.html', ''), await page.evaluate('F')];
const to = async (act, id) => {
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith(`/${id}.html`), { timeout: 10000 }), act()]);
  await page.waitForLoadState('load');
};
// A key as an iPanel box delivers it: a keydown whose keyCode is the box's code.
const code = (c) => page.evaluate((c) => {
  const e = document.createEvent('Event');
  e.initEvent('keydown', true, true);
  Object.defineProperty(e, 'keyCode', { get: () => c });
  document.dispatchEvent(e);
}, c);
const found = async (q) => (await fetch(`${base}/api/v1/sd/search?q=${q}`)).json();
const text = async (id) => JSON.stringify(await (await fetch(`${base}/api/v1/sd/screens/${id}.json`)).json());
const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();

// From a list two levels down, 0 opens 查询.
const list = Object.keys(graph.screens).find((id) => graph.screens[id].kind === 'list');
await page.goto(`${base}/tv/sd/${list}.html`);
await page.keyboard.press('ArrowDown');
const [, listFocus] = await where();
await to(() => page.keyboard.press('0'), 'search');
await to(() => page.keyboard.press('3'), 'search-3');
await to(() => page.keyboard.press('2'), 'search-32');
const results = (await found('32')).results;
const i = results.findIndex((h) => h.title === '低保公示');
if (i < 0) fail(`32 finds 低保公示: ${JSON.stringify(results)}`);
if (!(await text('search-32')).includes('低保公示')) fail('低保公示 is on the first page of 32');
// Down to it (a focus move needs no request), OK opens it.
for (let k = 0; k < i; k++) await page.keyboard.press('ArrowDown');
if ((await where())[1] !== i) fail(`focus on result ${i}`);
const target = results[i].target.split('#')[0];
await to(() => page.keyboard.press('Enter'), target);
// Back: the same results, the focus on the result left.
await to(() => page.keyboard.press('Escape'), 'search-32');
let [id, f] = await where();
if (id !== 'search-32' || f !== i) fail(`back from the result: at ${id}#${f}, expected search-32#${i}`);
// Left takes a digit back; back on the query clears it; back on the empty
// query returns to the list, its focus kept.
await to(() => page.keyboard.press('ArrowLeft'), 'search-3');
await to(() => page.keyboard.press('Escape'), 'search');
await to(() => page.keyboard.press('Escape'), list);
[id, f] = await where();
if (f !== listFocus) fail(`back from 查询 returns to ${list}#${listFocus}, at ${id}#${f}`);

// iPanel codes: 0 (48) from home, then z-b-c (9 2 2) finds 长坝村; OK (13)
// opens the village, back (340) returns to the results.
await page.goto(`${base}/tv/sd/home.html`);
await to(() => code(48), 'search');
await to(() => code(57), 'search-9');
await to(() => code(50), 'search-92');
await to(() => code(50), 'search-922');
const villages = (await found('922')).results;
const v = villages.findIndex((h) => h.title === '长坝村');
if (v < 0 || v > 2) fail(`922 finds 长坝村 on the first page: ${JSON.stringify(villages)}`);
for (let k = 0; k < v; k++) await code(2);
const village = villages[v].target.split('#')[0];
await to(() => code(13), village);
const title = graph.screens[village].title;
if (!title.includes('长坝村')) fail(`the village's screen: ${title}`);
await to(() => code(340), 'search-922');
if ((await where())[1] !== v) fail('back from the village keeps the focus');
// Back twice more: the empty query, then home where 0 was pressed.
await to(() => code(340), 'search');
await to(() => code(340), 'home');

await browser.close();
if (errors.length) fail(`script errors: ${errors.join('; ')}`);
console.log('search ok');
