import { describe, expect, it } from 'vitest';

import { otherTheme, parseTheme, resolveTheme } from './theme';

describe('resolveTheme', () => {
  it('follows the system when nothing is stored', () => {
    expect(resolveTheme(null, true)).toBe('dark');
    expect(resolveTheme(null, false)).toBe('light');
  });

  it('prefers the stored choice over the system', () => {
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('ignores a stored value that is not a theme', () => {
    expect(parseTheme('sepia')).toBeNull();
    expect(resolveTheme('sepia', true)).toBe('dark');
  });
});

describe('otherTheme', () => {
  it('toggles', () => {
    expect(otherTheme('light')).toBe('dark');
    expect(otherTheme('dark')).toBe('light');
  });
});
