// Minimal static file server for the built dashboard (loopback only):
//   node serve.mjs DIR [PORT]      (PORT 0 or absent: any free port)
// The pages use ES modules and fetch their data files, which browsers do not
// allow from file:// URLs, so the test serves dist/ over http.
import {createServer} from "node:http";
import {readFile, stat} from "node:fs/promises";
import {extname, join, normalize, resolve} from "node:path";

const root = resolve(process.argv[2] ?? "dist");
const port = Number(process.argv[3] ?? 0);
const types = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json",
               ".csv": "text/csv", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"};

const server = createServer(async (req, res) => {
  try {
    let path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (path.includes("..")) throw new Error("bad path");
    let file = join(root, path);
    if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, "index.html");
    else if (!extname(file) && await stat(file + ".html").catch(() => null)) file += ".html";
    const body = await readFile(file);
    res.writeHead(200, {"content-type": types[extname(file)] ?? "application/octet-stream"});
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end("not found");
  }
});
server.listen(port, "127.0.0.1", () => console.log(`serving ${root} on http://127.0.0.1:${server.address().port}/`));
