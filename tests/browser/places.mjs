// A township of 12 villages in real headless Chromium at 720x576: typed
// numbers 1–12 pick each village (a number that no longer one starts with is
// taken at once, "1" after a pause, "12" at its second digit), and back from
// a village returns to the township with the focus on the village left.
//
// Usage: node places.mjs BASE_URL TOWNSHIP_SCREEN
import { fail, launch } from './chromium.mjs';

const [base, township] = process.argv.slice(2);
const browser = await launch();
const errors = [];
const graph = await (await fetch(`${base}/api/v1/sd/graph.json`)).json();
const villages = graph.screens[township].states.map((s) => s.keys.ok.split('#')[0]);
if (villages.length !== 12) fail(`12 villages, found ${villages.length}`);

const page = await browser.newPage({ viewport: { width: 720, height: 576 } });
page.on('pageerror', (e) => errors.push(`${e}`));
const at = () => new URL(page.url()).pathname.split('/').pop().replace('.html', '');
const to = async (act, id) => {
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith(`/${id}.html`), { timeout: 10000 }), act()]);
  await page.waitForLoadState('load');
};
const type = async (digits) => { for (const d of digits) await page.keyboard.press(d); };

for (let n = 1; n <= 12; n++) {
  await page.goto(`${base}/tv/sd/${township}.html`);
  await to(() => type(String(n)), villages[n - 1]);
  // Back returns to the township, the village just left in focus.
  await to(() => page.keyboard.press('Escape'), township);
  const f = await page.evaluate('F');
  if (f !== n - 1) fail(`back from village ${n} focuses ${f + 1}`);
}
// A number beyond the villages says there is no such one.
await page.goto(`${base}/tv/sd/${township}.html`);
await type('13');
await page.waitForTimeout(100);
if (at() !== township) fail('13 leads nowhere');
const notice = await page.evaluate(() => document.getElementById('nw').style.visibility);
if (notice !== 'visible') fail('13 shows the no-such-page notice');

await browser.close();
if (errors.length) fail(`script errors: ${errors.join('; ')}`);
console.log('places ok');
