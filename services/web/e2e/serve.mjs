// A stand-in for `kaiban dev` while the binary does not serve the portal
// yet: the build in services/internal/portal/dist with the same rules as
// package portal (files, SPA fallback, cache headers), and every API path
// answered 404 problem+json, as a server without that API would.
// Usage: node e2e/serve.mjs PORT
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../internal/portal/dist/', import.meta.url))
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}
const reserved = /^\/(api(\/|$)|api-spec\/|docs(\/|$)|healthz$|readyz$|metrics$)/

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (reserved.test(path)) {
    res.writeHead(404, { 'Content-Type': 'application/problem+json' })
    res.end(JSON.stringify({ type: 'urn:kaiban:problem:not-found', title: 'Not found', status: 404, detail: 'no such resource', instance: path }))
    return
  }
  const name = normalize(path).replace(/^\/+/, '')
  if (name && name !== 'index.html') {
    try {
      const body = await readFile(join(root, name))
      res.writeHead(200, {
        'Content-Type': types[extname(name)] ?? 'application/octet-stream',
        'Cache-Control': name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
      res.end(body)
      return
    } catch {
      if (extname(name)) {
        res.writeHead(404).end()
        return
      }
    }
  }
  res.writeHead(200, { 'Content-Type': types['.html'], 'Cache-Control': 'no-cache' })
  res.end(await readFile(join(root, 'index.html')))
})

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`portal stand-in on http://127.0.0.1:${server.address().port}`)
})
