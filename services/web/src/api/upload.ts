// Uploading a file to the API with progress. fetch() reports no upload
// progress, so this is XMLHttpRequest, with the same error handling as the
// typed client: a refusal is an ApiError, a 401 ends the session.
import { sessionRefused } from './client'
import { ApiError, networkError, retryAfterSeconds, toProblem } from './problem'

export interface UploadProgress {
  loaded: number
  total: number
}

export interface UploadOptions {
  method?: 'POST' | 'PUT'
  /** multipart: a form with the file in `field` (default "file"); raw: the bytes, typed by the file's type. */
  body?: 'multipart' | 'raw'
  field?: string
  onProgress?: (p: UploadProgress) => void
  signal?: AbortSignal
}

/** Uploader sends a file and resolves to the API's JSON answer. */
export type Uploader = (url: string, file: File, o?: UploadOptions) => Promise<unknown>

export const xhrUpload: Uploader = (url, file, o = {}) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(o.method ?? 'POST', url)
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json')
    xhr.upload.onprogress = (e) => o.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size })
    xhr.onload = () => {
      let body: unknown = xhr.responseText
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined
      } catch {
        // not JSON: toProblem keeps short text
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body)
        return
      }
      if (xhr.status === 401) sessionRefused()
      reject(new ApiError(toProblem(xhr.status, xhr.statusText, body), retryAfterSeconds(xhr.getResponseHeader('Retry-After'))))
    }
    xhr.onerror = () => reject(networkError(new Error('upload failed')))
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'))
    if (o.signal) {
      if (o.signal.aborted) {
        xhr.abort()
        return
      }
      o.signal.addEventListener('abort', () => xhr.abort(), { once: true })
    }
    if ((o.body ?? 'multipart') === 'raw') {
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream')
      xhr.send(file)
    } else {
      const form = new FormData()
      form.append(o.field ?? 'file', file, file.name)
      xhr.send(form)
    }
  })

/** formatBytes writes a size for people: 1.5 MB. */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`
}

/** accepts reports whether a file matches an `accept` list (".pdf,image/*"). */
export function accepts(accept: string | undefined, file: File): boolean {
  if (!accept) return true
  const name = file.name.toLowerCase()
  const type = file.type.toLowerCase()
  return accept
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean)
    .some((a) => (a.startsWith('.') ? name.endsWith(a) : a.endsWith('/*') ? type.startsWith(a.slice(0, -1)) : type === a))
}
