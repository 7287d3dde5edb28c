// make playground: bundle src/main.js and d3's modules with esbuild, and put the bundle,
// the style and the header's WebAssembly (base64) into one HTML file that works offline.
//   node playground/build.mjs build/play.wasm playground/index.html
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [wasm, out] = process.argv.slice(2);
if (!wasm || !out) { console.error('usage: node build.mjs PLAY.wasm OUT.html'); process.exit(2); }
const b64 = readFileSync(wasm).toString('base64');
const js = await build({
  entryPoints: [join(here, 'src/main.js')], bundle: true, write: false, format: 'iife', minify: true,
  target: ['es2020'], legalComments: 'eof', define: { __PLAY_WASM__: JSON.stringify(b64) }, logLevel: 'warning',
});
const script = js.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
const page = readFileSync(join(here, 'src/page.html'), 'utf8')
  .replace('/*STYLE*/', () => readFileSync(join(here, 'src/style.css'), 'utf8'))
  .replace('/*SCRIPT*/', () => script);
writeFileSync(out, page);
console.log(`${out}: ${(page.length / 1024).toFixed(0)} KB (the header's module ${(b64.length / 1024).toFixed(0)} KB of it)`);
