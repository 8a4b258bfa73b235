/**
 * Wrapper `express-dev` (OpenNext's local development server, with the `node`
 * converter). OpenNext's starts an Express app that adds, in front of the
 * handler, the files of `.open-next/assets` and `/_next/image` through the image
 * function. Here the function itself does both for a self-hosted build: it
 * ships `public/` and `.next/static/` and answers `/_next/image` with Next's
 * optimizer and the Rust image stage. So this is the `node` wrapper's server
 * (`PORT`, `HOST`, `/__health`, streaming), under OpenNext's name.
 */
import type { Wrapper } from "../../types/overrides.ts";
import node from "./node.ts";

export default {
  ...node,
  name: "express-dev",
} satisfies Wrapper;
