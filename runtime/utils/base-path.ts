/** `path` without a leading `basePath` segment (`/base/a` → `/a`, `/base` → `/`); any other path as it is. */
export function withoutBasePath(path: string, basePath: string): string {
  if (basePath && (path === basePath || path.startsWith(`${basePath}/`))) return path.slice(basePath.length) || "/";
  return path;
}
