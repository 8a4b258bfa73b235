/**
 * `fetch` for the platform's own I/O (AWS APIs, image upstreams, external
 * rewrites, CloudFormation responses): Node's own, never the one Next installs
 * for the app.
 *
 * Next replaces `globalThis.fetch` with a fetch that takes part in its data
 * cache, and, while prerendering under `cacheComponents`, never settles for an
 * uncached request (the render is meant to postpone it). A cache handler that
 * read S3 with it during an ISR regeneration of such a page waited forever.
 * Next keeps the fetch it replaced as `_nextOriginalFetch`.
 */
type PatchedFetch = typeof fetch & { _nextOriginalFetch?: typeof fetch };

/** Node's `fetch` (what Next replaced, when it has), called with `input` and `init`. */
export function platformFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const current = globalThis.fetch as PatchedFetch;
  return (current._nextOriginalFetch ?? current)(input, init);
}
