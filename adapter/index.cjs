// Next.js Deployment Adapter (Next >= 16.2). `open-next build` points
// NEXT_ADAPTER_PATH here; `onBuildComplete` hands Next's build description to the
// Rust core by writing it to `<distDir>/open-next-adapter.json`.
const fs = require("node:fs");
const path = require("node:path");

/** @type {import("next").NextAdapter} */
module.exports = {
  name: "open-next-rs",
  async onBuildComplete(ctx) {
    const data = {
      version: 1,
      nextVersion: ctx.nextVersion,
      buildId: ctx.buildId,
      projectDir: ctx.projectDir,
      repoRoot: ctx.repoRoot,
      distDir: ctx.distDir,
      routing: ctx.routing,
      outputs: ctx.outputs,
      config: {
        basePath: ctx.config.basePath,
        trailingSlash: ctx.config.trailingSlash,
        i18n: ctx.config.i18n ?? null,
        deploymentId: ctx.config.deploymentId ?? null,
        skipMiddlewareUrlNormalize: ctx.config.skipMiddlewareUrlNormalize,
        skipTrailingSlashRedirect: ctx.config.skipTrailingSlashRedirect,
      },
    };
    const file = path.join(ctx.distDir, "open-next-adapter.json");
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(data));
    fs.renameSync(`${file}.tmp`, file);
  },
};
