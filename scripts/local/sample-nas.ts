/**
 * The sample NAS `npm run dev` indexes and sends from: two shares with project folders named as a
 * Taiwanese company names them (CJK, spaces, a full-width letter), real PNG, JPEG and PDF files a
 * browser opens, and the media folder the LINE sync writes into. Created once under `.local/nas`
 * (git-ignored); files already there are left alone, so what a developer adds stays.
 */
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { LOCAL_DIR } from './paths.ts';

export const DEFAULT_NAS_DIR = join(LOCAL_DIR, 'nas');

export interface SampleNas {
  /** NAS_SHARES for the job: `projects:<dir>,library:<dir>`. */
  shares: string;
  /** NAS_ROOT for the media sync. */
  mediaRoot: string;
  /** Files written this time (0 when the sample was there already). */
  created: number;
}

/** Project folders; `scripts/local/demo.ts` binds the `ops` group's project to the first. */
export const SAMPLE_PROJECT_FOLDERS = ['projects/Tower B 大樓', 'projects/Design Review 設計審查'] as const;

type Content = () => Buffer | Promise<Buffer>;

const FILES: Record<string, Content> = {
  'projects/Tower B 大樓/圖面/平面圖-1F.pdf': () => pdf('Tower B 1F floor plan'),
  'projects/Tower B 大樓/圖面/平面圖-2F.pdf': () => pdf('Tower B 2F floor plan'),
  'projects/Tower B 大樓/圖面/立面圖 東向.pdf': () => pdf('Tower B east elevation'),
  'projects/Tower B 大樓/照片/2026-11-20 工地進度.png': () => png(640, 480, [40, 110, 170]),
  'projects/Tower B 大樓/照片/鋼筋檢查 3F.jpg': () => jpeg(1600, 1200, [150, 90, 40]),
  'projects/Tower B 大樓/報價/報價單-鋼構 Ｖ2.xlsx': () => bytes(18_000, 7),
  'projects/Tower B 大樓/會議記錄/2026-11-25 工務會議.txt': () =>
    Buffer.from('工務會議記錄\n1. 3F 鋼筋檢查完成\n2. 下週一澆置\n'),
  'projects/Design Review 設計審查/提案簡報.pptx': () => bytes(42_000, 11),
  'projects/Design Review 設計審查/材質板.png': () => png(800, 600, [200, 180, 140]),
  'library/標準圖/樓梯詳圖.pdf': () => pdf('Standard stair detail'),
  'library/規範/施工規範 Ｖ２.pdf': () => pdf('Construction specification v2'),
  'library/表單/請款單.docx': () => bytes(9_000, 3),
};

/** Creates the sample where missing and returns the job's configuration for it. */
export async function ensureSampleNas(dir = DEFAULT_NAS_DIR): Promise<SampleNas> {
  let created = 0;
  // One fixed date for the sample, so `/find` lists them in a stable order (newest first).
  let when = Date.UTC(2026, 10, 30, 2, 0, 0);
  for (const [path, content] of Object.entries(FILES)) {
    const file = join(dir, ...path.split('/'));
    when -= 3_600_000;
    if (existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await content());
    utimesSync(file, new Date(when), new Date(when));
    created++;
  }
  const mediaRoot = join(dir, 'line-media');
  mkdirSync(mediaRoot, { recursive: true });
  return { shares: `projects:${join(dir, 'projects')},library:${join(dir, 'library')}`, mediaRoot, created };
}

/** A one-page PDF with a line of text (hand-assembled: objects, then the xref of their offsets). */
function pdf(title: string): Buffer {
  const text = title.replace(/[()\\]/g, '');
  const stream = `BT /F1 24 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** An RGB PNG with a diagonal gradient over `rgb` (zlib only: no image library needed). */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      const shade = ((x + y) / (width + height)) * 0.6 + 0.4;
      raw[row + 1 + x * 3] = Math.round(rgb[0] * shade);
      raw[row + 2 + x * 3] = Math.round(rgb[1] * shade);
      raw[row + 3 + x * 3] = Math.round(rgb[2] * shade);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG through sharp (the job's image library), from the same gradient. */
async function jpeg(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp(png(width, height, rgb))
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Deterministic filler bytes for office files the sample only lists and sends as links. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
