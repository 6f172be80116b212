// Decrypted content as the API returns it (base64 in JSON), recognised by
// its first bytes so the page can show a PDF in the browser's viewer, an
// image, or text, and offer the bytes for download.

export type ContentKind = 'pdf' | 'png' | 'jpeg' | 'text' | 'binary'

/** decodeBase64 turns the API's base64 into bytes. */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** encodeBase64 turns bytes into base64 for a JSON body (in chunks: large files overflow the argument list). */
export function encodeBase64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

const starts = (b: Uint8Array, sig: number[]) => sig.every((v, i) => b[i] === v)

/** sniff names what the bytes are. */
export function sniff(b: Uint8Array): ContentKind {
  if (starts(b, [0x25, 0x50, 0x44, 0x46])) return 'pdf' // %PDF
  if (starts(b, [0x89, 0x50, 0x4e, 0x47])) return 'png'
  if (starts(b, [0xff, 0xd8, 0xff])) return 'jpeg'
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, 4096))
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000e-\u001f]/.test(s)) return 'text'
  } catch {
    // not UTF-8
  }
  return 'binary'
}

export const mimeOf: Record<ContentKind, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  text: 'text/plain;charset=utf-8',
  binary: 'application/octet-stream',
}

export const extensionOf: Record<ContentKind, string> = { pdf: 'pdf', png: 'png', jpeg: 'jpg', text: 'txt', binary: 'bin' }
