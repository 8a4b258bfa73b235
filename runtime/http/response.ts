/**
 * A `ServerResponse`-compatible writable that Next's request handler writes to.
 *
 * Headers are held until the first body byte (or an explicit `flushHeaders`),
 * then fixed up by `fixHeaders` and handed to the wrapper's `StreamCreator`;
 * every body chunk is forwarded to the writable it returned as soon as Next
 * writes it, so streamed renders stream. Without a `StreamCreator` (or when
 * `retainChunks` is not `false`) the chunks are kept so the response can be
 * returned whole as an `InternalResult`.
 */
import { Readable, Writable } from "node:stream";
import type { InternalResult, StreamCreator } from "../types/overrides.ts";
import { isBinaryContentType } from "../utils/binary.ts";
import { type HeaderValue, normalizeHeaders, splitSetCookie } from "./util.ts";

export interface ResponseOptions {
  streamCreator?: StreamCreator;
  /** Called once, right before the headers are sent; may mutate them. */
  fixHeaders?: (headers: Record<string, HeaderValue>, statusCode: number) => void;
}

const SET_COOKIE = "set-cookie";

export class InternalResponse extends Writable {
  // Truly private: Next's API routes put their own `res.status()` helper on the response.
  #status = 200;
  #fixedStatus?: number;
  /** The status; a fixed one ([`fixStatus`]) wins over what the handler sets. */
  get statusCode(): number {
    return this.#fixedStatus ?? this.#status;
  }
  set statusCode(v: number) {
    this.#status = v;
  }
  /** Answers with `code` whatever the handler sets (OpenNext's `rewriteStatusCode`). */
  fixStatus(code: number): void {
    this.#fixedStatus = code;
  }
  statusMessage = "";
  headersSent = false;
  sendDate = false;
  chunkedEncoding = false;
  shouldKeepAlive = false;
  useChunkedEncodingByDefault = true;
  strictContentLength = false;
  /** Not attached to a socket. */
  readonly socket: null = null;
  readonly connection: null = null;
  req: unknown = undefined;

  private headerMap: Record<string, HeaderValue> = {};
  private cookies: string[] = [];
  private readonly streamCreator?: StreamCreator;
  private readonly fixHeadersFn?: ResponseOptions["fixHeaders"];
  private readonly retain: boolean;
  private readonly chunks: Buffer[] = [];
  private target: Writable | undefined;
  private sentHeaders: Record<string, string> = {};
  private bodyLength = 0;
  private preferred: [string, string][] = [];

  constructor(options: ResponseOptions = {}) {
    super();
    this.streamCreator = options.streamCreator;
    this.fixHeadersFn = options.fixHeaders;
    this.retain = options.streamCreator?.retainChunks !== false;
    const signal = options.streamCreator?.abortSignal;
    if (signal) {
      const onAbort = () => {
        if (!this.writableFinished) this.destroy();
      };
      if (signal.aborted) queueMicrotask(onAbort);
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  }

  // -- ServerResponse header API --------------------------------------------

  setHeader(name: string, value: HeaderValue): this {
    const key = name.toLowerCase();
    if (key === SET_COOKIE) {
      this.cookies = splitSetCookie(value);
      return this;
    }
    this.headerMap[key] = value;
    return this;
  }

  appendHeader(name: string, value: HeaderValue): this {
    const key = name.toLowerCase();
    if (key === SET_COOKIE) {
      this.cookies.push(...splitSetCookie(value));
      return this;
    }
    const prev = this.headerMap[key];
    if (prev === undefined) {
      this.headerMap[key] = value;
    } else {
      const add = Array.isArray(value) ? value : [String(value)];
      this.headerMap[key] = [...(Array.isArray(prev) ? prev : [String(prev)]), ...add];
    }
    return this;
  }

  getHeader(name: string): HeaderValue {
    const key = name.toLowerCase();
    if (key === SET_COOKIE) return this.cookies.length > 0 ? [...this.cookies] : undefined;
    return this.headerMap[key];
  }

  getHeaders(): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = { ...this.headerMap };
    if (this.cookies.length > 0) out[SET_COOKIE] = [...this.cookies];
    return out;
  }

  getHeaderNames(): string[] {
    return Object.keys(this.getHeaders());
  }

  hasHeader(name: string): boolean {
    return this.getHeader(name) !== undefined;
  }

  removeHeader(name: string): void {
    const key = name.toLowerCase();
    if (key === SET_COOKIE) this.cookies = [];
    else delete this.headerMap[key];
  }

  setHeaders(headers: Headers | Map<string, HeaderValue>): this {
    headers.forEach((value: any, key: string) => {
      this.setHeader(key, value);
    });
    return this;
  }

  writeHead(
    statusCode: number,
    reason?: string | Record<string, HeaderValue> | HeaderValue[],
    headers?: Record<string, HeaderValue> | HeaderValue[],
  ): this {
    let hdrs = headers;
    if (typeof reason === "string") this.statusMessage = reason;
    else hdrs = reason;
    this.statusCode = statusCode;
    if (Array.isArray(hdrs)) {
      for (let i = 0; i + 1 < hdrs.length; i += 2) this.setHeader(String(hdrs[i]), hdrs[i + 1]);
    } else if (hdrs) {
      for (const [k, v] of Object.entries(hdrs)) this.setHeader(k, v);
    }
    this.flushHeaders();
    return this;
  }

  /** Sends the status and headers to the stream creator (once). */
  /**
   * Headers that win over whatever the handler sets afterwards (its `Set-Cookie`
   * values go before these, so these apply last in the browser): OpenNext's
   * `headersAndCookiesPriority` answering `"middleware"`.
   */
  preferHeaders(pairs: [string, string][]): void {
    this.preferred.push(...pairs.map(([k, v]): [string, string] => [k.toLowerCase(), v]));
  }

  flushHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    if (this.preferred.length) {
      const cookies = this.preferred.filter(([k]) => k === SET_COOKIE).map(([, v]) => v);
      this.cookies = [...this.cookies.filter((c) => !cookies.includes(c)), ...cookies];
      for (const [k, v] of this.preferred) if (k !== SET_COOKIE) this.headerMap[k] = v;
    }
    const headers: Record<string, HeaderValue> = { ...this.headerMap };
    if (this.cookies.length > 0) headers[SET_COOKIE] = [...this.cookies];
    this.fixHeadersFn?.(headers, this.statusCode);
    // fixHeaders may have touched cookies too.
    this.cookies = splitSetCookie(headers[SET_COOKIE]);
    delete headers[SET_COOKIE];
    this.headerMap = headers;
    this.sentHeaders = normalizeHeaders(headers);
    // Nothing goes out once the client is gone.
    if (this.streamCreator && !this.destroyed) {
      this.target = this.streamCreator.writeHeaders({
        statusCode: this.statusCode,
        cookies: [...this.cookies],
        headers: { ...this.sentHeaders },
      });
    }
  }

  // -- Next.js specific helpers (older handlers call these) --------------------

  get finished(): boolean {
    return this.writableEnded;
  }

  get sent(): boolean {
    return this.writableEnded || this.headersSent;
  }

  get originalResponse(): this {
    return this;
  }

  writeContinue(): void {}
  writeProcessing(): void {}
  writeEarlyHints(_hints: unknown, cb?: () => void): void {
    cb?.();
  }
  addTrailers(): void {}
  assignSocket(): void {}
  detachSocket(): void {}
  setTimeout(_ms: number, cb?: () => void): this {
    void cb;
    return this;
  }

  // -- Writable implementation ------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.headersSent) this.flushHeaders();
    this.bodyLength += chunk.length;
    if (this.retain) this.chunks.push(chunk);
    this.streamCreator?.onWrite?.();
    const target = this.target;
    if (!target || target.destroyed) {
      callback();
      return;
    }
    if (target.write(chunk)) callback();
    else target.once("drain", () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.headersSent) this.flushHeaders();
    this.streamCreator?.onFinish?.(this.bodyLength);
    const target = this.target;
    if (!target || target.destroyed || target.writableEnded) {
      callback();
      return;
    }
    target.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const target = this.target;
    if (error && target && !target.destroyed && !target.writableEnded) target.destroy(error);
    callback(error);
  }

  // -- Results -----------------------------------------------------------------

  /** Resolves once the response is finished (or destroyed). */
  done(): Promise<void> {
    if (this.writableFinished || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        this.off("finish", finish);
        this.off("close", finish);
        resolve();
      };
      this.on("finish", finish);
      this.on("close", finish);
    });
  }

  /** The headers as sent (lower-cased, with `set-cookie` as an array). */
  getSentHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = { ...this.sentHeaders };
    if (this.cookies.length > 0) out[SET_COOKIE] = [...this.cookies];
    return out;
  }

  getBody(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /**
   * Sends a response that was buffered (made without a stream creator) through
   * `streamCreator`, with `extra` headers over the ones it was made with.
   */
  replay(streamCreator: StreamCreator, extra: Record<string, string> = {}): void {
    if (!this.headersSent) this.flushHeaders();
    const target = streamCreator.writeHeaders({
      statusCode: this.statusCode,
      cookies: [...this.cookies],
      headers: { ...this.sentHeaders, ...extra },
    });
    const body = Buffer.concat(this.chunks);
    streamCreator.onFinish?.(body.length);
    target.end(body);
  }

  toInternalResult(): InternalResult {
    if (!this.headersSent) this.flushHeaders();
    const headers = this.getSentHeaders();
    const contentType = headers["content-type"];
    return {
      type: "core",
      statusCode: this.statusCode,
      headers,
      body: Readable.from(this.chunks.length > 0 ? [Buffer.concat(this.chunks)] : []),
      isBase64Encoded: isBinaryContentType(contentType) || headers["content-encoding"] !== undefined,
    };
  }
}
