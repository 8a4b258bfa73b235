import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const wasm = readFileSync(new URL('./lib/module.wasm', import.meta.url));
const __dirname = dirname(fileURLToPath(import.meta.url));
const font = readFileSync(join(__dirname, 'fonts', 'inter.ttf'));
export { wasm, font };
