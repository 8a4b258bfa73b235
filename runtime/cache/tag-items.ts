/**
 * Tag-cache items in OpenNext's DynamoDB format, and how an entry's freshness is
 * read from them. Shared by every "original"-mode tag cache (`fs-dev`,
 * `dynamodb-lite`), so they agree on what revalidated or stale means.
 */
import path from "node:path";

type N = { N: string };
type S = { S: string };

/** One tag/path pair: `{tag:{S:"<buildId>/<tag>"}, path:{S:"<buildId>/<path>"}, revalidatedAt:{N}, stale?, expire?}`. */
export interface TagItem {
  tag: S;
  path: S;
  revalidatedAt: N;
  stale?: N;
  expire?: N;
}

function buildPrefix(): string {
  return process.env.OPEN_NEXT_BUILD_ID ?? process.env.NEXT_BUILD_ID ?? "";
}

/** `<buildId>/<key>`, as the build writes the seed (leading slashes dropped). */
export function tagKey(key: string): string {
  return path.posix.join(buildPrefix(), key);
}

/** The key without its `<buildId>/` prefix. */
export function stripTagKey(key: string): string {
  const p = `${buildPrefix()}/`;
  return key.startsWith(p) ? key.slice(p.length) : key;
}

/** The number in an `{N}` attribute. */
export function num(n: N | undefined): number | undefined {
  if (!n) return undefined;
  const v = Number.parseInt(n.N, 10);
  return Number.isNaN(v) ? undefined : v;
}

/** A write of OpenNext's `writeTags` as an item. */
export function tagItem(t: { tag: string; path: string; revalidatedAt?: number; stale?: number; expire?: number }): TagItem {
  const item: TagItem = {
    tag: { S: tagKey(t.tag) },
    path: { S: tagKey(t.path) },
    revalidatedAt: { N: String(t.revalidatedAt ?? Date.now()) },
  };
  if (t.stale !== undefined) item.stale = { N: String(t.stale) };
  if (t.expire !== undefined) item.expire = { N: String(t.expire) };
  return item;
}

/**
 * Whether one of a path's items makes an entry written at `lastModified` invalid:
 * it expired since, or it was revalidated since (and not merely marked stale).
 */
export function revalidatedSince(items: TagItem[], lastModified: number | undefined, now = Date.now()): boolean {
  const since = lastModified ?? 0;
  return items.some((i) => {
    const expire = num(i.expire);
    const revalidatedAt = num(i.revalidatedAt) ?? 0;
    if (expire !== undefined && expire <= now && expire > since) return true;
    return revalidatedAt > since && (expire === undefined || expire > now) && num(i.stale) === undefined;
  });
}

/** Whether one of a path's items marked an entry written at `lastModified` stale since. */
export function staleSince(items: TagItem[], lastModified: number | undefined): boolean {
  const since = lastModified ?? 0;
  return items.some((i) => {
    const stale = num(i.stale);
    return stale !== undefined && (num(i.revalidatedAt) ?? 0) > since && stale > since;
  });
}
