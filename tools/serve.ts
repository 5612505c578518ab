/**
 * A tiny read-only static server for the web page: web/ at /, build/ at /build/, fixtures/ at
 * /fixtures/, with the cross-origin isolation headers multi-threaded onnxruntime-web needs.
 * `npm run web` (port: PORT env or --port N; default 8080, always on 127.0.0.1).
 */
import { createReadStream, realpathSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".onnx": "application/octet-stream",
  ".npy": "application/octet-stream",
};

/** URL prefix → folder. Longest prefix wins; "/" must be last. */
export type Mounts = [prefix: string, dir: string][];

export const DEFAULT_MOUNTS: Mounts = [
  ["/build/", path.join(ROOT, "build")],
  ["/fixtures/", path.join(ROOT, "fixtures")],
  ["/", path.join(ROOT, "web")],
];

const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

/** The file a URL path names inside its mount, or null when it is missing or escapes the mount. */
function resolve(urlPath: string, mounts: Mounts): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0")) return null;
  const mount = mounts.find(([prefix]) => decoded.startsWith(prefix));
  if (!mount) return null;
  const [prefix, dir] = mount;
  let rel = decoded.slice(prefix.length);
  if (rel === "" || rel.endsWith("/")) rel += "index.html";
  const parts = rel.split("/");
  if (parts.some((p) => p === ".." || p === "." || p.includes("\\"))) return null;
  try {
    const base = realpathSync(dir);
    const real = realpathSync(path.join(base, ...parts));
    const inside = path.relative(base, real);
    if (inside.startsWith("..") || path.isAbsolute(inside)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

export function createStaticServer(mounts: Mounts = DEFAULT_MOUNTS): Server {
  return createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", ...ISOLATION_HEADERS }).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = resolve(url.pathname, mounts);
    if (!file) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", ...ISOLATION_HEADERS }).end("not found\n");
      return;
    }
    const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    res.writeHead(200, { "Content-Type": type, "Content-Length": statSync(file).size, ...ISOLATION_HEADERS });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
}

/** Starts the server on 127.0.0.1; port 0 picks a free port. */
export async function startServer(port = 8080, mounts: Mounts = DEFAULT_MOUNTS): Promise<{ server: Server; url: string }> {
  const server = createStaticServer(mounts);
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok());
  });
  const { port: actual } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${actual}/` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--port");
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: bad port '${i > 0 ? process.argv[i + 1] : process.env.PORT}'`);
    process.exit(2);
  }
  startServer(port).then(({ url }) => console.log(`onnx-prune web page: ${url}  (Ctrl+C to stop)`), (e: Error) => {
    console.error(`serve: ${e.message}`);
    process.exit(1);
  });
}
