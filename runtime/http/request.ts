/**
 * A Node `IncomingMessage` built from an InternalEvent, for handing to Next's
 * request handler. It is not attached to a real socket: the socket is a stub
 * exposing what Next reads (`encrypted`, `remoteAddress`).
 */
import { IncomingMessage } from "node:http";

export interface RequestInit {
  method: string;
  /** Path and query string, as they appear on the request line. */
  url: string;
  /** Lower-case names; arrays for repeated headers. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
  remoteAddress?: string;
  encrypted?: boolean;
}

function stubSocket(remoteAddress: string | undefined, encrypted: boolean): any {
  const noop = () => undefined;
  const self: any = {
    encrypted,
    remoteAddress,
    remotePort: 0,
    localAddress: "127.0.0.1",
    localPort: encrypted ? 443 : 80,
    readable: false,
    writable: false,
    destroyed: false,
    address: () => ({ port: encrypted ? 443 : 80, family: "IPv4", address: "127.0.0.1" }),
    setTimeout: noop,
    setNoDelay: noop,
    setKeepAlive: noop,
    ref: noop,
    unref: noop,
    on: () => self,
    once: () => self,
    off: () => self,
    removeListener: () => self,
    emit: () => false,
    end: noop,
    destroy: () => {
      self.destroyed = true;
    },
  };
  return self;
}

export class InternalRequest extends IncomingMessage {
  private pendingBody: Buffer | undefined;

  constructor(init: RequestInit) {
    super(stubSocket(init.remoteAddress, init.encrypted ?? false));
    const headers = { ...init.headers };
    const body = init.body && init.body.length > 0 ? init.body : undefined;
    if (body && headers["content-length"] === undefined && headers["transfer-encoding"] === undefined) {
      headers["content-length"] = String(body.length);
    }
    this.method = init.method;
    this.url = init.url;
    this.headers = headers;
    this.rawHeaders = Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v]));
    this.httpVersion = "1.1";
    this.httpVersionMajor = 1;
    this.httpVersionMinor = 1;
    this.pendingBody = body;
  }

  override _read(): void {
    const body = this.pendingBody;
    this.pendingBody = undefined;
    if (body) this.push(body);
    this.complete = true;
    this.push(null);
  }
}

/** The Node request handed to Next for an event (no body on GET/HEAD). */
export function requestForEvent(
  event: { method: string; body?: Buffer; remoteAddress?: string },
  url: URL,
  headers: Record<string, string | string[]>,
): InternalRequest {
  return new InternalRequest({
    method: event.method,
    url: `${url.pathname}${url.search}`,
    headers,
    body: event.method === "GET" || event.method === "HEAD" ? undefined : event.body,
    remoteAddress: event.remoteAddress,
    encrypted: url.protocol === "https:",
  });
}
