// Proves a shell's script is ES3: acorn parses it as ECMAScript 3, and none
// of the APIs old box browsers lack appears in it.
//
// Usage: node es3.mjs URL...
import { parse } from 'acorn';

const forbidden = [/\bJSON\b/, /\.bind\(/, /\.indexOf\(/, /addEventListener/, /toFixed/, /querySelector/, /classList/,
  /=>/, /\blet\b/, /\bconst\b/, /Object\.prototype\.toString\.call/, /Array\.prototype\.slice\.call/];
let checked = 0;
for (const url of process.argv.slice(2)) {
  const html = await (await fetch(url)).text();
  const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  if (!scripts.length) throw new Error(`${url}: no script`);
  for (const js of scripts) {
    parse(js, { ecmaVersion: 3 });
    for (const f of forbidden) if (f.test(js)) throw new Error(`${url}: uses ${f}`);
    checked++;
  }
}
console.log(`es3: ${checked} scripts parse as ECMAScript 3`);
