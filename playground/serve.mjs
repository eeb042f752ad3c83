// Serves playground/dist/ on 127.0.0.1 (`npm run playground` builds it first) and prints the URL.
// Usage: node playground/serve.mjs [--port N] (default 8080; 0 picks a free port).
// Also imported by the browser test (test/playground/), which serves on a free port.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".bin": "application/octet-stream", ".txt": "text/plain; charset=utf-8" };

/** Serves `dir` on 127.0.0.1:`port`; resolves with the server and its URL. */
export function serve(dir, port = 0) {
  const root = path.resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = path.join(root, decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname));
    let ok = file.startsWith(root + path.sep);
    try {
      ok &&= statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--port");
  const port = at >= 0 ? Number(process.argv[at + 1]) : 8080;
  const { url } = await serve(path.join(path.dirname(fileURLToPath(import.meta.url)), "dist"), port);
  console.log(`gradc playground: ${url}  (Ctrl-C stops it)`);
}
