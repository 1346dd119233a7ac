// Types of AttentionPanel.js for the TypeScript tests that import it (the page itself loads the .js).

export function decodeBase64(b64: string): Uint8Array;
export function heatColour(v: number, out?: number[]): number[];

/** The policy as the page knows it: its patch grid, heads and cameras. */
export interface PanelPolicy {
  grid: [number, number];
  heads: number;
  cameras: string[];
}

/** One step's attention as the server sends it: base64 float32 maps [layer][head][word][camera][patch], base64 RGB images. */
export interface PanelAttention {
  maps: string;
  images: string[];
  width: number;
  height: number;
}

export class AttentionPanel {
  constructor(canvas: unknown, note: { textContent: string });
  draws: number;
  setPolicy(policy: PanelPolicy | null, note?: string): void;
  setWords(words: { words: string[] } | null): void;
  setFrame(attention: PanelAttention | null): void;
  select(sel: { word?: number; label?: string | null; layer?: number; head?: string; camera?: number }): void;
  currentMap(): Float32Array | null;
  draw(): void;
}
