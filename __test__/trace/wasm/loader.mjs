import fs from 'fs';
export default fs.readFileSync(new URL('./calc.wasm', import.meta.url));
