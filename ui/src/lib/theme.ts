// Light and dark themes. The choice is the stored one when the user picked one, else the system's;
// it is written to `document.documentElement.dataset.theme`, which the CSS custom properties key on.
export type Theme = 'light' | 'dark';

export const THEME_KEY = 'gatehouse.theme';

/** Reads a stored preference, ignoring anything that is not a theme. */
export function parseTheme(stored: string | null | undefined): Theme | null {
  return stored === 'light' || stored === 'dark' ? stored : null;
}

/** The theme to show: the user's choice if any, else the system's. */
export function resolveTheme(stored: string | null | undefined, systemDark: boolean): Theme {
  return parseTheme(stored) ?? (systemDark ? 'dark' : 'light');
}

export function otherTheme(theme: Theme): Theme {
  return theme === 'dark' ? 'light' : 'dark';
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    // Storage can be disabled; the theme then simply follows the system.
    return null;
  }
}

export function storedTheme(): Theme | null {
  return parseTheme(storage()?.getItem(THEME_KEY));
}

export function storeTheme(theme: Theme): void {
  try {
    storage()?.setItem(THEME_KEY, theme);
  } catch {
    // A full or disabled storage only costs the preference across restarts.
  }
}

export function systemPrefersDark(): boolean {
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme;
}
