import { inflateSync } from 'node:zlib';

/**
 * The text of a PDF written by pdfkit with the standard fonts, one line per text operation:
 * enough to search a printout for what it shows. Content streams are inflated (FlateDecode);
 * the hex strings of `TJ`/`Tj` are WinAnsi codes. Not a general PDF reader.
 */
export function pdfText(pdf: Buffer): string {
  const bin = pdf.toString('latin1');
  const contents: string[] = [];
  const streamAt = /<<((?:[^<>]|<<[^]*?>>)*)>>\s*stream\r?\n/g;
  for (let m = streamAt.exec(bin); m; m = streamAt.exec(bin)) {
    const length = Number(/\/Length (\d+)/.exec(m[1]!)?.[1] ?? NaN);
    if (!Number.isFinite(length)) continue;
    const start = m.index + m[0].length;
    const raw = pdf.subarray(start, start + length);
    if (!/\/FlateDecode/.test(m[1]!)) contents.push(raw.toString('latin1'));
    else {
      // A stream that does not inflate (not pdfkit's, or damaged) has no text to show.
      try {
        contents.push(inflateSync(raw).toString('latin1'));
      } catch {
        continue;
      }
    }
  }
  const decoder = new TextDecoder('windows-1252');
  const lines: string[] = [];
  for (const content of contents) {
    for (const op of content.matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hexes = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]!) : [op[2]!];
      lines.push(decoder.decode(Buffer.from(hexes.join(''), 'hex')));
    }
  }
  return lines.join('\n');
}

/** The printout's text with its line breaks as spaces: for text that may wrap. */
export const pdfFlatText = (pdf: Buffer): string => pdfText(pdf).replace(/\s+/g, ' ');
