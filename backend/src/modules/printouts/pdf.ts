import PDFDocument from 'pdfkit';

/**
 * The page layer of every printout: A4, the standard Helvetica fonts (no font files on disk or
 * from the system: their WinAnsi encoding covers Swedish and the other Latin-1 letters), headings,
 * labelled fields, signature lines, and a footer on every page. Pure: data in, PDF bytes out.
 */

/** cp1252's letters and signs beyond Latin-1, which the standard fonts also show. */
const CP1252_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

const showable = (ch: string): boolean => {
  const c = ch.codePointAt(0)!;
  return (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff) || CP1252_EXTRA.has(ch);
};

/**
 * `text` in what the standard fonts can show: a letter outside WinAnsi loses its accent when it
 * has one (ć → c, ș → s) and becomes `?` otherwise, control characters become spaces. The font
 * would otherwise write a broken code for it.
 */
export function winAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (ch === '\n' || showable(ch)) out += ch;
    else if ((ch.codePointAt(0) ?? 0) < 0xa0) out += ' ';
    else {
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      out += base !== '' && [...base].every(showable) ? base : '?';
    }
  }
  return out;
}

const MARGIN = 56;
const FOOTER_SIZE = 8;
const INK = '#111111';
const MUTED = '#555555';

export interface PrintoutMeta {
  /** The document's title (also its PDF title): never a person's name. */
  title: string;
  /** Printed in every footer, e.g. "Utskriven 2026-12-04 av Socialtjänsten Norrby". */
  footer: string;
  /** Deflate the page content (the default; tests of the layer may turn it off). */
  compress?: boolean;
}

/** One printout being laid out; `finish` numbers the pages and answers the PDF. */
export class Printout {
  private readonly doc: PDFKit.PDFDocument;
  private readonly chunks: Buffer[] = [];
  private readonly done: Promise<Buffer>;

  constructor(private readonly meta: PrintoutMeta) {
    this.doc = new PDFDocument({
      size: 'A4',
      margins: { top: MARGIN, bottom: MARGIN + 14, left: MARGIN, right: MARGIN },
      bufferPages: true,
      compress: meta.compress ?? true,
      lang: 'sv-SE',
      info: { Title: winAnsi(meta.title), Creator: 'Samverka', Producer: 'Samverka' },
    });
    this.done = new Promise((resolve, reject) => {
      this.doc.on('data', (c: Buffer) => this.chunks.push(c));
      this.doc.on('end', () => resolve(Buffer.concat(this.chunks)));
      this.doc.on('error', reject);
    });
    this.doc.fillColor(INK);
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private text(text: string, font: string, size: number, opts: PDFKit.Mixins.TextOptions = {}, color = INK): this {
    this.doc
      .font(font)
      .fontSize(size)
      .fillColor(color)
      .text(winAnsi(text), this.doc.page.margins.left, undefined, { width: this.width, ...opts });
    return this;
  }

  /** The document's title line, and an optional line under it. */
  title(text: string, subtitle?: string): this {
    this.text(text, 'Helvetica-Bold', 18);
    if (subtitle) this.text(subtitle, 'Helvetica', 11, {}, MUTED);
    return this.space(0.6);
  }

  heading(text: string): this {
    this.keepLines(3);
    return this.space(0.5).text(text, 'Helvetica-Bold', 13).space(0.2);
  }

  subheading(text: string): this {
    this.keepLines(3);
    return this.space(0.3).text(text, 'Helvetica-Bold', 11);
  }

  /** `label: value` on one line (wrapped under itself); an absent value is written as a dash. */
  field(label: string, value: string | null | undefined): this {
    this.doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .fillColor(INK)
      .text(winAnsi(`${label}: `), this.doc.page.margins.left, undefined, { width: this.width, continued: true });
    this.doc.font('Helvetica').text(winAnsi(value && value.trim() !== '' ? value : '–'));
    return this;
  }

  paragraph(text: string, opts: { muted?: boolean; size?: number } = {}): this {
    return this.text(text, 'Helvetica', opts.size ?? 10, { paragraphGap: 3 }, opts.muted ? MUTED : INK);
  }

  bullets(items: readonly string[]): this {
    for (const item of items) this.text(`•  ${item}`, 'Helvetica', 10, { indent: 0, paragraphGap: 1 });
    return this;
  }

  space(lines = 1): this {
    this.doc.moveDown(lines);
    return this;
  }

  rule(): this {
    const y = this.doc.y + 2;
    this.doc
      .moveTo(this.doc.page.margins.left, y)
      .lineTo(this.doc.page.margins.left + this.width, y)
      .lineWidth(0.5)
      .strokeColor('#999999')
      .stroke();
    this.doc.y = y + 6;
    return this;
  }

  /** A line to sign on, with what goes there written under it. */
  signatureLine(label: string): this {
    this.keepLines(4);
    this.space(1.6);
    const y = this.doc.y;
    const w = this.width * 0.6;
    this.doc
      .moveTo(this.doc.page.margins.left, y)
      .lineTo(this.doc.page.margins.left + w, y)
      .lineWidth(0.7)
      .strokeColor(INK)
      .stroke();
    this.doc.y = y + 3;
    return this.text(label, 'Helvetica', 9, {}, MUTED);
  }

  /** Starts a new page unless `n` more lines fit on this one (a heading stays with its text). */
  private keepLines(n: number): void {
    if (this.doc.y + n * 16 > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  /** Writes the footer on every page and answers the PDF. */
  async finish(): Promise<Buffer> {
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      this.doc.switchToPage(i);
      const bottom = this.doc.page.margins.bottom;
      // Inside the bottom margin: lift it while writing, or the text would open a new page.
      this.doc.page.margins.bottom = 0;
      const y = this.doc.page.height - MARGIN;
      this.doc
        .font('Helvetica')
        .fontSize(FOOTER_SIZE)
        .fillColor(MUTED)
        .text(winAnsi(`${this.meta.footer} · Sida ${i - start + 1} av ${count}`), MARGIN, y, { width: this.width, lineBreak: false });
      this.doc.page.margins.bottom = bottom;
    }
    this.doc.end();
    return this.done;
  }
}
