import { describe, expect, test } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Time, relativeTime } from './Time';

describe('timestamps', () => {
  test('shown in the reader\'s time zone, the exact time (and UTC) on hover', () => {
    render(<Time value="2026-03-04T05:06:07.000Z" />);
    const time = screen.getByText((_, el) => el?.tagName === 'TIME');
    expect(time.getAttribute('datetime')).toBe('2026-03-04T05:06:07.000Z');
    const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' }).format(new Date('2026-03-04T05:06:07.000Z'));
    expect(time.getAttribute('title')).toBe(`${local} (2026-03-04T05:06:07.000Z)`);
  });

  test('relative times for recent events', () => {
    const now = Date.parse('2026-03-04T05:06:07.000Z');
    expect(relativeTime(new Date(now - 3 * 60_000), now)).toBe(new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(-3, 'minute'));
  });

  test('no time is "never"', () => {
    render(<Time value={null} />);
    expect(screen.getByText('never')).toBeTruthy();
  });
});
