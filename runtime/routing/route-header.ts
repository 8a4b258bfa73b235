/**
 * The routing decision external middleware hands to the origin.
 *
 * External middleware (`middleware: { external: true }`) routes at the edge
 * and forwards the request to a server function; the decision travels in
 * `x-opennext-route` (base64url JSON) with an HMAC-SHA256 signature in
 * `x-opennext-route-sig`, keyed by a secret the build generates and bundles
 * into both functions. The server function only skips routing for a request
 * whose signature verifies, so a client calling the origin directly cannot
 * steer routing with a forged decision: without a valid one it is routed from
 * scratch, like any other request.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RequestHeaders } from "./decide.ts";
import type { RouteDecision } from "./router.ts";

export const ROUTE_HEADER = "x-opennext-route";
export const ROUTE_SIG_HEADER = "x-opennext-route-sig";

/** What the edge decided, as the origin needs it. */
export interface RoutedRequest {
  /** The request URL the edge routed (absolute). */
  url: string;
  decision: RouteDecision;
  /**
   * Internal request headers middleware set for the render (for example
   * `x-middleware-set-cookie`): the origin strips every internal header it
   * receives, then restores these.
   */
  internalHeaders: RequestHeaders;
}

function sign(key: string, value: string): string {
  return createHmac("sha256", key).update(value).digest("base64url");
}

/** The two headers that carry `routed`. */
export function routeHeaders(key: string, routed: RoutedRequest): Record<string, string> {
  const value = Buffer.from(JSON.stringify(routed)).toString("base64url");
  return { [ROUTE_HEADER]: value, [ROUTE_SIG_HEADER]: sign(key, value) };
}

/** The decision a request carries, when its signature verifies with `key`. */
export function verifiedRoute(key: string, headers: Record<string, string>): RoutedRequest | undefined {
  const value = headers[ROUTE_HEADER];
  const sig = headers[ROUTE_SIG_HEADER];
  if (!value || !sig) return undefined;
  const expected = Buffer.from(sign(key, value));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const routed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as RoutedRequest;
    new URL(routed.url);
    return routed.decision && typeof routed.decision === "object" ? routed : undefined;
  } catch {
    return undefined;
  }
}
