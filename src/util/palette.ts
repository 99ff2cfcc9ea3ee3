// Okabe & Ito's colour-blind-safe palette (Color Universal Design, 2008): its colours stay apart under protanopia and
// deuteranopia. Methods pick their chart colour from it (methods/*.ts `colour`); the report's charts take the rest.
export const OKABE_ITO = { orange: '#E69F00', skyBlue: '#56B4E9', bluishGreen: '#009E73', yellow: '#F0E442', blue: '#0072B2', vermillion: '#D55E00', reddishPurple: '#CC79A7', black: '#000000' } as const;

/** Base's reference line: grey, outside the palette, so that it never reads as a method's hue. */
export const REFERENCE_GREY = '#888888';
