// A plain Node.js static server for dist/, used only by Dockerfile.naive (the optimised image uses nginx).
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript" };
const port = Number(process.env.PORT ?? 8082);
createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  const file = join("dist", path.endsWith("/") ? `${path}index.html` : path);
  // Like the nginx config: /about serves about.html.
  for (const candidate of [file, `${file}.html`]) {
    try {
      const body = await readFile(candidate);
      return response.writeHead(200, { "Content-Type": types[extname(candidate)] ?? "application/octet-stream" }).end(body);
    } catch {
      // try the next candidate
    }
  }
  response.writeHead(404).end("not found\n");
}).listen(port, "127.0.0.1", () => console.log(`node-web listening on 127.0.0.1:${port}`));
