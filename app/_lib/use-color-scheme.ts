'use client';
/** 'light' or 'dark' as on screen now (the header's theme switch, or the system), for recharts' SVG props. */
export { useTheme as useColorScheme } from './theme';
