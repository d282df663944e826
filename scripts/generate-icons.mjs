// Generates the icons and the Open Graph image in public/ from the SVG logo mark below, with sharp
// (Next's own image dependency), so no design tool or download is needed: `node scripts/generate-icons.mjs`.
// The outputs are committed; run it again after changing the mark or the card and commit the result.
// The card's text is rendered with the machine's fonts (DejaVu or Liberation Sans on Debian).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "public");

// The site's indigo (Tailwind indigo-600/500): a rounded square, a white "T", and a stream of tokens
// flowing out of its stem.
const INDIGO = "#4f46e5";
const INDIGO_LIGHT = "#6366f1";

/** The mark on a 64×64 canvas; `rounded: false` fills the square (maskable app icons get cut by the OS). */
function markSvg({ rounded = true } = {}) {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="${INDIGO_LIGHT}"/>
      <stop offset="1" stop-color="${INDIGO}"/>
    </linearGradient>
  </defs>
  <rect width="64" height="64" rx="${rounded ? 14 : 0}" fill="url(#bg)"/>
  <path d="M17 19h30" stroke="#fff" stroke-width="7" stroke-linecap="round" fill="none"/>
  <path d="M32 19v18c0 6 3 9 9 9h6" stroke="#fff" stroke-width="7" stroke-linecap="round" stroke-linejoin="round" fill="none"/>
  <circle cx="21" cy="46" r="3.5" fill="#fff" fill-opacity="0.55"/>
  <circle cx="13" cy="46" r="2.5" fill="#fff" fill-opacity="0.3"/>
</svg>
`;
}

function ogSvg() {
  const mark = markSvg()
    .replace(/<svg[^>]*>/, '<svg x="96" y="120" width="112" height="112" viewBox="0 0 64 64">')
    .replace(/id="bg"/, 'id="mark-bg"')
    .replace(/url\(#bg\)/, "url(#mark-bg)");
  const font = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630" viewBox="0 0 1200 630">
  <rect width="1200" height="630" fill="#ffffff"/>
  <rect y="598" width="1200" height="32" fill="${INDIGO}"/>
  ${mark}
  <text x="236" y="200" font-family="${font}" font-size="76" font-weight="700" fill="#0f172a">Token<tspan fill="${INDIGO}">Flow</tspan></text>
  <text x="96" y="340" font-family="${font}" font-size="54" font-weight="700" fill="#0f172a">One OpenAI-compatible API</text>
  <text x="96" y="410" font-family="${font}" font-size="54" font-weight="700" fill="#0f172a">for every major LLM.</text>
  <text x="96" y="490" font-family="${font}" font-size="32" fill="#475569">DeepSeek · Kimi · GLM · Qwen · GPT-4o · Claude</text>
  <text x="96" y="538" font-family="${font}" font-size="32" fill="#475569">One key, one prepaid balance.</text>
</svg>
`;
}

/** An .ico holding PNG images (every browser since IE 11 reads PNG entries). */
function ico(pngs) {
  const header = Buffer.alloc(6 + 16 * pngs.length);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = header.length;
  pngs.forEach(({ size, data }, i) => {
    const entry = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt8(0, entry + 2); // no palette
    header.writeUInt8(0, entry + 3);
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(data.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...pngs.map((p) => p.data)]);
}

async function png(svg, size, height = size) {
  // A density high enough that the vector is rasterised at (at least) the target size, not scaled up.
  const density = Math.ceil((72 * Math.max(size, height)) / 64);
  return sharp(Buffer.from(svg), { density })
    .resize(size, height)
    .png({ compressionLevel: 9, palette: size <= 48 })
    .toBuffer();
}

async function main() {
  mkdirSync(out, { recursive: true });
  const write = (name, data) => {
    writeFileSync(path.join(out, name), data);
    console.log(`public/${name} (${data.length} bytes)`);
  };
  write("icon.svg", markSvg());
  const favicons = await Promise.all([16, 32, 48].map(async (size) => ({ size, data: await png(markSvg(), size) })));
  write("favicon.ico", ico(favicons));
  // Apple draws its own rounded corners, and the manifest's maskable icons are cropped to a shape
  // by the OS: both get the full square.
  write("apple-touch-icon.png", await png(markSvg({ rounded: false }), 180));
  write("icon-192.png", await png(markSvg(), 192));
  write("icon-512.png", await png(markSvg(), 512));
  write("icon-maskable-512.png", await png(markSvg({ rounded: false }), 512));
  const og = await sharp(Buffer.from(ogSvg())).png({ compressionLevel: 9 }).toBuffer();
  write("og-image.png", og);
}

await main();
