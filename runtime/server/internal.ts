/**
 * Lets parts of the runtime call back into this function's own request handler
 * (the `direct` queue sends ISR revalidations this way, without any network).
 */
import type { InternalEvent, InternalResult } from "../types/overrides.ts";

type Handler = (event: InternalEvent) => Promise<InternalResult>;

let internalHandler: Handler | undefined;
let previewModeId: string | undefined;

export function setInternalHandler(handler: Handler, prerenderPreviewModeId: string | undefined): void {
  internalHandler = handler;
  previewModeId = prerenderPreviewModeId;
}

export function getInternalHandler(): Handler | undefined {
  return internalHandler;
}

/** `preview.previewModeId` of `.next/prerender-manifest.json`: authorizes revalidation requests. */
export function getPreviewModeId(): string | undefined {
  return previewModeId ?? process.env.NEXT_PREVIEW_MODE_ID;
}
