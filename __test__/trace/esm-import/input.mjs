import { a } from './a.mjs';
export { b } from './b.js';
export * from 'dual';
import 'node:fs';
import path from 'path';
console.log(a, path.sep);
