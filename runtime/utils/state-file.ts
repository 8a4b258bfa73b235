/**
 * A JSON state file written atomically (a temporary file renamed over it),
 * one write after another, for the local (`fs-dev*`) overrides. A failed write
 * is logged; the state in memory stands.
 */
import fs from "node:fs";
import { error } from "./logger.ts";

/** `save(json)` for `file`: resolves once this write (and those before it) are done. */
export function stateFileWriter(file: string, what: string): (json: string) => Promise<void> {
  let saving: Promise<void> = Promise.resolve();
  return (json) => {
    saving = saving
      .then(async () => {
        const tmp = `${file}.${process.pid}.tmp`;
        await fs.promises.writeFile(tmp, json);
        await fs.promises.rename(tmp, file);
      })
      .catch((e) => error(`cannot save ${what} to ${file}`, e));
    return saving;
  };
}
