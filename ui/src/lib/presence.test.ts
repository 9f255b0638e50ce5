import { describe, expect, it } from 'vitest';

import { lookersByRequest, lookingText } from './presence';

describe('lookersByRequest', () => {
  it('keys the users by request and leaves out requests nobody else looks at', () => {
    expect(
      lookersByRequest([
        { request: 3, users: ['marco', 'dana'] },
        { request: 4, users: [] },
      ]),
    ).toEqual({ 3: ['marco', 'dana'] });
  });
});

describe('lookingText', () => {
  it('names one, two or more users', () => {
    expect(lookingText(['bob'])).toBe('also looking: bob');
    expect(lookingText(['bob', 'dana'])).toBe('also looking: bob and dana');
    expect(lookingText(['bob', 'dana', 'erin'])).toBe('also looking: bob, dana and erin');
    expect(lookingText([])).toBe('');
  });
});
