#!/usr/bin/env node
import { main } from "../dist/cli.mjs";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`open-next: ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  },
);
