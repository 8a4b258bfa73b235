/**
 * Entry of a server function bundle.
 *
 * ```ts
 * export const handler = createServerFunction({ functionName: "default", overrides: { wrapper, converter, incrementalCache, tagCache, queue } });
 * ```
 *
 * Initialisation starts at once: the build's require map is installed, the user's
 * `open-next.config.mjs` (next to the bundle) is imported, a lazy custom override
 * (`config.<function>.override.<kind>` as a function) replaces the built-in one,
 * the cache handler is published, Next is started, then the wrapper is
 * initialised with the request handler. `handler(...)` waits for all that and
 * calls what the wrapper returned (for the node wrapper: `(req, res) => Promise<void>`).
 */
import { installComposableCacheHandler } from "../cache/composable.ts";
import { installCacheHandler, setDefaultCacheBackend } from "../cache/handler.ts";
import { cdnInvalidation, invalidatePages } from "../cache/cdn.ts";
import type {
  CDNInvalidationHandler,
  Converter,
  IncrementalCache,
  ProxyExternalRequest,
  Queue,
  ServerFunctionOverrides,
  TagCache,
  Wrapper,
} from "../types/overrides.ts";
import { type CacheBackend, installNextRequestContext } from "../utils/context.ts";
import { installSharpShim } from "../image/sharp.ts";
import { createRoutedDispatch } from "../routing/dispatch.ts";
import { loadRouter } from "../routing/router.ts";
import { loadConfig, pick } from "../utils/config.ts";
import { debug, error } from "../utils/logger.ts";
import { setInternalHandler } from "./internal.ts";
import { initialRevalidateLookup, loadNextFiles } from "./next-files.ts";
import { startNextServer, startRenderServer } from "./next-server.ts";
import { cacheHandlerPath, composableCacheHandlerPath, functionDir } from "./paths.ts";
import { createRequestHandler } from "./request-handler.ts";
import { installResolutions } from "./resolutions.ts";

export interface ServerFunctionOptions {
  /** `default`, or the key of a split function in `config.functions`. */
  functionName: string;
  /** The built-in overrides the build selected. */
  overrides: ServerFunctionOverrides;
  /** With external middleware: the key its signed routing decisions verify with. */
  routeKey?: string;
}

export type ServerFunctionHandler = (...args: any[]) => Promise<any>;

async function initialise({ functionName, overrides, routeKey }: ServerFunctionOptions): Promise<ServerFunctionHandler> {
  // Before anything of Next is required.
  installResolutions(functionDir);
  const config = await loadConfig();
  (globalThis as Record<string, unknown>).openNextConfig = config;
  const fnConfig = (functionName === "default" ? config.default : config.functions?.[functionName]) ?? config.default;
  const o = fnConfig?.override ?? {};

  const files = loadNextFiles(functionDir);
  // Read by the cache overrides (and by OpenNext-style custom overrides).
  process.env.NEXT_BUILD_ID = files.buildId;
  process.env.OPEN_NEXT_BUILD_ID = files.cacheBuildId;
  const previewModeId = files.prerenderManifest?.preview?.previewModeId;
  if (previewModeId) process.env.NEXT_PREVIEW_MODE_ID = previewModeId;

  const wrapper = await pick<Wrapper>(o.wrapper, overrides.wrapper);
  const converter = await pick<Converter>(o.converter, overrides.converter);
  const backend: CacheBackend = {
    incrementalCache: await pick<IncrementalCache>(o.incrementalCache, overrides.incrementalCache),
    tagCache: await pick<TagCache>(o.tagCache, overrides.tagCache),
    queue: await pick<Queue>(o.queue, overrides.queue),
    config,
    buildId: files.cacheBuildId,
    nextVersion: files.nextVersion,
    initialRevalidate: initialRevalidateLookup(files),
  };
  const cdn = await pick<CDNInvalidationHandler>(o.cdnInvalidation, overrides.cdnInvalidation);
  if (cdn.name !== "dummy") backend.cdn = cdnInvalidation(cdn, files);
  debug("overrides", {
    wrapper: wrapper.name,
    converter: converter.name,
    incrementalCache: backend.incrementalCache.name,
    tagCache: backend.tagCache.name,
    queue: backend.queue.name,
    cdnInvalidation: cdn.name,
  });

  setDefaultCacheBackend(backend);
  installCacheHandler();
  installComposableCacheHandler();
  installNextRequestContext();
  // `/_next/image` through Next's optimizer with the pixel work in Rust.
  installSharpShim(functionDir);
  const preloading = fnConfig?.routePreloadingBehavior ?? "none";
  const serverOptions = {
    files,
    cacheHandlerPath,
    composableCacheHandlerPath,
    preloadEntries: preloading === "onStart",
    onRevalidated: async (urlPath: string) => {
      if (backend.cdn) await invalidatePages(backend.cdn, [backend.cdn.pageOfPath(urlPath)]);
    },
  };
  const router = loadRouter(functionDir);
  const renderServer = router ? await startRenderServer(serverOptions) : undefined;
  installRoutePreloader(preloading, renderServer);
  const handler =
    renderServer && router
      ? createRequestHandler({
          files,
          backend,
          previewModeId,
          routeKey,
          dispatch: createRoutedDispatch({
            router,
            files,
            server: renderServer,
            proxy: await pick<ProxyExternalRequest>(o.proxyExternalRequest, overrides.proxyExternalRequest),
          }),
        })
      : createRequestHandler({ files, backend, previewModeId, nextHandler: await startNextServer(serverOptions) });
  setInternalHandler(handler, previewModeId);
  return wrapper.wrapper(handler, converter, { functionName });
}

/**
 * OpenNext's `globalThis.__next_route_preloader(stage)`, called by the wrappers
 * and the request handler: with `routePreloadingBehavior` `"onWarmerEvent"` a warmer
 * event loads every route's module (before the warmer is answered, so the instance
 * it kept warm is ready), with `"withWaitUntil"` the first request whose response
 * has already gone out does it as pending work. Each instance preloads once.
 */
function installRoutePreloader(behavior: string, server: { preloadEntries(): Promise<void> } | undefined): void {
  let done: Promise<void> | undefined;
  const preload = () =>
    (done ??= (async () => {
      const t = Date.now();
      await server?.preloadEntries();
      debug(`preloaded the route entries in ${Date.now() - t} ms`);
    })().catch((e) => error("preloading the route entries failed", e)));
  (globalThis as Record<string, unknown>).__next_route_preloader = async (stage: string) => {
    if ((behavior === "onWarmerEvent" && stage === "warmerEvent") || (behavior === "withWaitUntil" && stage === "waitUntil")) {
      await preload();
    }
  };
}

/**
 * The server function's handler. It waits for initialisation on each call;
 * `.ready` resolves with the wrapper's own handler once initialised (Lambda entries
 * export that, with top-level await, so the runtime sees how the wrapper marked it).
 */
export function createServerFunction(options: ServerFunctionOptions): ServerFunctionHandler & { ready: Promise<ServerFunctionHandler> } {
  const ready = initialise(options);
  ready.catch((e) => {
    error(`server function "${options.functionName}" failed to start`, e);
    if (process.env.OPEN_NEXT_PREVIEW) {
      // Let the preview server answer with the error instead of waiting forever.
      const g = globalThis as { __OPEN_NEXT_PREVIEW_HANDLERS__?: Record<string, unknown> };
      g.__OPEN_NEXT_PREVIEW_HANDLERS__ ??= {};
      g.__OPEN_NEXT_PREVIEW_HANDLERS__[options.functionName] = async (_req: unknown, res: any) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`open-next: server function "${options.functionName}" failed to start:\n${e?.stack ?? e}`);
      };
    } else {
      process.exit(1);
    }
  });
  const lazy = async (...args: any[]) => {
    const handle = await ready;
    return handle(...args);
  };
  return Object.assign(lazy, { ready });
}
