// Distinct, colour-blind-friendly series colours (Okabe–Ito, then Tailwind tones).
export const SERIES_COLORS = [
  "#4f46e5",
  "#e69f00",
  "#009e73",
  "#cc79a7",
  "#0072b2",
  "#d55e00",
  "#56b4e9",
  "#b45309",
  "#64748b",
  "#be123c",
];

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length];
}
