/**
 * A stand-in for the HuggingFace hub on 127.0.0.1: `/{repo}/resolve/main/{file}` answers like the
 * hub does — small files straight from "git" (ETag = git blob SHA-1), LFS files as a 302 to a
 * CDN path carrying X-Linked-Etag (SHA-256) and X-Linked-Size — and the CDN serves byte ranges.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
}

export interface HubServer {
  /** The HF_ENDPOINT to use, e.g. http://127.0.0.1:40123 */
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly requests: HubRequest[];
  /** The next CDN transfer sends this many bytes, then drops the connection. */
  dropAfter: number | undefined;
  /** CDN transfers send a body with one byte changed (the hash headers stay right). */
  corrupt: boolean;
  /** Files are served straight (200, ranges honoured) with no hash header, as a plain web server would. */
  unverified: boolean;
  /** Bodies served instead of the real files, by file name (always unverified). */
  bodies: Record<string, Uint8Array>;
  /** Content-Length announces this many bytes more than are sent; the connection then closes. */
  extraLength: number;
  /** Bodies go out in 64 KiB chunks this many ms apart (a slow server). */
  chunkDelayMs: number;
  close(): Promise<void>;
}

/** Files by repository and name; `lfs` names the files kept in LFS (by default *.safetensors). */
export async function startHubServer(repos: Record<string, Record<string, Uint8Array>>, lfs = (file: string) => file.endsWith('.safetensors')): Promise<HubServer> {
  const blobs = new Map<string, Uint8Array>();
  const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const gitSha1 = (b: Uint8Array) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
  for (const files of Object.values(repos)) for (const [name, bytes] of Object.entries(files)) if (lfs(name)) blobs.set(sha256(bytes), bytes);

  const state: HubServer = {
    endpoint: '',
    requests: [],
    dropAfter: undefined,
    corrupt: false,
    unverified: false,
    bodies: {},
    extraLength: 0,
    chunkDelayMs: 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };

  function notFound(res: ServerResponse, code: string) {
    res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': code });
    res.end(`${code}\n`);
  }

  function serveCdn(req: IncomingMessage, res: ServerResponse, bytes: Uint8Array, hash: string | undefined) {
    let body = bytes;
    if (state.corrupt) {
      body = Uint8Array.from(bytes);
      const i = body.length >> 1;
      body[i] = body[i]! ^ 0xff;
    }
    const headers = { 'accept-ranges': 'bytes', ...(hash ? { etag: `"${hash}"` } : {}), 'content-type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = body.length - 1;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start > end) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${body.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': body.length + state.extraLength });
    }
    if (req.method === 'HEAD') return res.end();
    const slice = body.subarray(start, end + 1);
    if (state.extraLength > 0 && !range) {
      res.write(slice, () => res.socket?.destroy());
      return;
    }
    if (state.chunkDelayMs > 0) {
      void (async () => {
        for (let at = 0; at < slice.length; at += 65536) {
          if (!res.write(slice.subarray(at, at + 65536))) await new Promise((r) => res.once('drain', r));
          await new Promise((r) => setTimeout(r, state.chunkDelayMs));
        }
        res.end();
      })();
      return;
    }
    const drop = state.dropAfter;
    if (drop !== undefined && drop < slice.length) {
      state.dropAfter = undefined;
      res.write(slice.subarray(0, drop), () => res.socket?.destroy());
      return;
    }
    res.end(slice);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    state.requests.push({ method: req.method ?? 'GET', path: url.pathname, range: req.headers.range });
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const bytes = blobs.get(cdn[1]!);
      return bytes ? serveCdn(req, res, bytes, cdn[1]!) : notFound(res, 'EntryNotFound');
    }
    const m = /^\/(.+)\/resolve\/main\/([^/]+)$/.exec(url.pathname);
    const files = m ? repos[m[1]!] : undefined;
    if (!m || !files) return notFound(res, 'RepoNotFound');
    const bytes = files[m[2]!];
    if (!bytes) return notFound(res, 'EntryNotFound');
    const commit = 'e7da7f221d5bf496a48136c0cd264e630fe9fcc8';
    const replaced = state.bodies[m[2]!];
    if (replaced || state.unverified) return serveCdn(req, res, replaced ?? bytes, undefined);
    if (lfs(m[2]!)) {
      const hash = sha256(bytes);
      res.writeHead(302, {
        location: `/cdn/${hash}`,
        'x-linked-etag': `"${hash}"`,
        'x-linked-size': bytes.length,
        'x-repo-commit': commit,
        etag: `"${hash}"`,
      });
      return res.end();
    }
    res.writeHead(200, { 'content-length': bytes.length, etag: `"${gitSha1(bytes)}"`, 'x-repo-commit': commit, 'accept-ranges': 'bytes' });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { endpoint: string }).endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
