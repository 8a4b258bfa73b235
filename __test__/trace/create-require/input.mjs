import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const cjs = require('./cjs-dep.cjs');
export default cjs;
