/** Several PNG images one under the other, left-aligned on white, as one PNG (e.g. one row of panels per variant). */
import { createCanvas, Image } from '@napi-rs/canvas';

export function stackPngs(pngs: readonly Buffer[], gap = 8): Buffer {
  if (pngs.length === 0) throw new Error('stackPngs: no images');
  const images = pngs.map((b) => {
    const img = new Image();
    img.src = b;
    return img;
  });
  const width = Math.max(...images.map((i) => i.width));
  const height = images.reduce((h, i) => h + i.height, 0) + gap * (images.length - 1);
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  let y = 0;
  for (const img of images) {
    g.drawImage(img, 0, y);
    y += img.height + gap;
  }
  return canvas.toBuffer('image/png');
}
